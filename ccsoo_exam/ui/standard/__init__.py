"""The judges' rating screens for modified-Angoff standard setting (``ccsoo-exam standard rate``)."""
