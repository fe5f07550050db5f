"""SQLite storage: sittings, responses, events and scoresheets, one plain file each."""
