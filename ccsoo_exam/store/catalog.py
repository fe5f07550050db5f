"""What every table and column of a results database means, in words, and as Datasette metadata.

One description per table and column of the terminal, panel and admin schemas (a test checks
that a migration adding a column also describes it). ``datasette_metadata`` turns them into
the metadata.json Datasette reads (``datasette admin.db --metadata metadata.json``), so an
administrator browsing the database sees what each column holds.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

Described = tuple[str, dict[str, str]]

_SITTINGS: dict[str, str] = {
    "sitting_id": "The sitting's UUID, made at check-in; the same on the terminal and in the admin database",
    "exam_id": "Exam definition id (exam.yaml 'exam')",
    "exam_title": "Exam title as shown to the candidate",
    "package_fingerprint": "SHA-256 fingerprint of the exam package (encrypted banks) the sitting was delivered from",
    "candidate_id": "Candidate id from the roster, as typed by the proctor at check-in",
    "candidate_name": "Candidate's name as confirmed at check-in",
    "form_seed": "Seed the form (items and option orders) was assembled from; the form is reproducible from it",
    "form_digest": "SHA-256 of the assembled form (item ids and option orders); equal digests mean the same form",
    "item_count": "Number of questions on the form",
    "cut_score": "Items correct needed to pass, from the exam definition at delivery",
    "base_seconds": "Time allowance before extra time and extensions, in seconds",
    "multiplier": "Extra-time factor from the roster's accommodations (1.25 = 25% extra time)",
    "extension_seconds": "Time added by the proctor during the sitting, in seconds",
    "consumed_seconds": "Exam time used, measured on the monotonic clock (stopped while the program was not running)",
    "status": "checked-in, in-progress, paused or submitted",
    "position": "Form position (0-based) the candidate was last on",
    "timer_hidden": "1 if the candidate had hidden the countdown",
    "warnings_given": "Time warnings already shown (minutes left, comma-separated)",
    "proctor_pin": "Hash of the sitting's proctor PIN (never the PIN itself)",
    "created_at": "Check-in time (UTC)",
    "started_at": "When the candidate started answering (UTC)",
    "submitted_at": "Submission time (UTC); empty until submitted",
    "submit_reason": (
        "Why the sitting ended: 'submitted by the candidate', 'time expired' or 'ended by the proctor: <reason>'"
    ),
    "raw_score": "Items correct as the terminal scored it at submission (rescorings never change it)",
    "percent": "raw_score as a percentage of item_count",
    "passed": "1 if the terminal's score reached the cut, 0 if not",
    "module_scores": 'Per-module subscores as JSON: {"module": [correct, items]}',
    "chain_head": "Hash of the sitting's last event; the receipt code is derived from it",
    "event_count": "Number of events in the sitting's hash chain",
    "updated_at": "Last change on the terminal (UTC)",
    "accessibility": (
        "Accessibility accommodations chosen at check-in (high-contrast, large-print, screen-reader, "
        "read-aloud, reduced-motion; comma-separated)"
    ),
    "scaled_score": "Scaled score (100-900, pass at 500) when the package is calibrated; empty before calibration",
    "boot_id": "Identity of the terminal's boot during the last commit (measures outages on the boot clock)",
    "boot_seconds": "The boot clock at the last commit, in seconds",
}

TABLES: dict[str, Described] = {
    "sittings": ("One row per candidate sitting (attempt at a form), with the terminal's score", _SITTINGS),
    "responses": (
        "One row per sitting and form position: the answer as authored in the bank, flags and strike-outs",
        {
            "sitting_id": "The sitting (sittings.sitting_id)",
            "position": "Form position, 0-based",
            "bank_id": "Bank the item comes from",
            "module": "Module 1-5 of the item",
            "item_id": "Item id within its bank",
            "option_order": "Authored letters in the order shown as A, B, C, D (e.g. CADB)",
            "answer": "Chosen option as AUTHORED in the bank (A-D); empty if unanswered. Correctness is not stored",
            "flagged": "1 if flagged for review at the end",
            "struck": "Authored letters the candidate struck out",
            "answered_at": "When the answer was last changed (UTC)",
        },
    ),
    "panel_criterion_moderations": (
        "The chair's moderated level for one criterion of one candidate, with the reason",
        {
            "moderation_id": "Moderation id",
            "rubric_id": "Rubric",
            "candidate_id": "Candidate",
            "criterion_id": "The moderated criterion",
            "level": "The moderated level",
            "reason": "Why, as recorded",
            "moderator": "Who moderated (the chair)",
            "moderated_at": "When (UTC)",
        },
    ),
    "panel_consolidated": (
        "The chair's sealed consolidated sheet: every criterion's final level for one candidate",
        {
            "consolidation_id": "Consolidated sheet id",
            "rubric_id": "Rubric",
            "rubric_digest": "SHA-256 of the rubric file scored against",
            "candidate_id": "Candidate",
            "chair": "The chair who sealed it",
            "content": "The consolidated levels, notes of moderation and decision (JSON)",
            "seal_hash": "SHA-256 over the content (changes to it are detected)",
            "sealed_at": "When sealed (UTC)",
        },
    ),
    "eligibility_decisions": (
        "Admin only: the committee's case-by-case eligibility decisions (append-only; the latest applies)",
        {
            "decision_id": "Decision number, in order recorded",
            "candidate_id": "Candidate",
            "decision": "eligible or not eligible",
            "reason": "The committee's reason",
            "decided_by": "Who decided",
            "decided_at": "When recorded (UTC)",
            "roster_reason": "The roster's case-by-case reason at the time",
        },
    ),
    "signatures": (
        "Ed25519 signatures of the chain head by the terminal's enrolled key, one per signed event",
        {
            "sitting_id": "The sitting",
            "seq": "The event whose hash (the chain head then) was signed",
            "key_id": "Id of the terminal key that signed (terminals.key_id in the admin database)",
            "signature": "The Ed25519 signature (64 bytes)",
        },
    ),
    "terminals": (
        "Admin only: enrolled terminals and panel machines, whose signatures merge accepts",
        {
            "key_id": "Short id of the public key",
            "name": "The terminal's name as enrolled",
            "public_key": "Ed25519 public key (hex)",
            "enrolled_at": "When enrolled (UTC)",
        },
    ),
    "panel_seal_signatures": (
        "A panelist machine's Ed25519 signature over a sealed scoresheet and its change log",
        {
            "sheet_id": "The sealed sheet",
            "key_id": "Id of the machine key that signed",
            "signature": "The Ed25519 signature (64 bytes)",
        },
    ),
    "events": (
        "The hash chain of each sitting: every check-in, answer, pause, extension and submission",
        {
            "sitting_id": "The sitting (sittings.sitting_id)",
            "seq": "Event number within the sitting, from 1",
            "kind": (
                "What happened: check-in, start, answer, flag, navigate, heartbeat, warning, pause, extend, "
                "incident, gap, stall, submit, ..."
            ),
            "payload": "Details as canonical JSON",
            "wall_time": "Wall-clock time (UTC), for the audit trail only",
            "consumed_seconds": "Exam time consumed when the event was recorded",
            "prev_hash": "Hash of the previous event (64 zeros for the first)",
            "hash": "SHA-256 of prev_hash|seq|kind|payload|wall_time|consumed_seconds",
        },
    ),
    "candidates": (
        "The roster: identity, degree, experience, route and eligibility under source 000",
        {
            "candidate_id": "Candidate id, what the proctor types at check-in",
            "name": "Candidate's name",
            "degree": "Highest degree level: doctorate, master, bachelor or other",
            "years_senior_management": "Whole years at a senior management level",
            "route": "panel (executive presentation) or exam (80-item written exam)",
            "accommodations": "Free text; a percentage such as 'extra time 25%' sets extra time",
            "eligibility": "eligible, not eligible or case-by-case review",
            "eligibility_reason": "Why, in words",
            "group_label": "Optional roster group (e.g. language or region) for the Mantel-Haenszel DIF analysis",
        },
    ),
    "merged_sittings": (
        "Admin only: each merged sitting's content hash and source file (makes merging idempotent)",
        {
            "sitting_id": "The merged sitting",
            "content_hash": "SHA-256 over the sitting row and its responses when merged",
            "chain_head": "The sitting's chain head when merged",
            "event_count": "Events in the chain when merged",
            "source": "Path of the terminal file it came from",
            "merged_at": "When it was merged (UTC)",
        },
    ),
    "merge_log": (
        "Admin only: one row per file merged, for audit",
        {
            "merge_id": "Merge number",
            "source": "Path of the merged file",
            "source_sha256": "SHA-256 of the file as merged",
            "merged_at": "When (UTC)",
            "sittings_added": "Sittings copied in",
            "sittings_unchanged": "Sittings already merged with the same content",
            "conflicts": "Sittings already merged with other content (merged copy kept)",
            "broken": "Sittings whose chain or scores did not verify (not imported)",
            "sheets_added": "Panel scoresheets imported from the file",
        },
    ),
    "rescorings": (
        "Admin only: every applied key challenge (drop an item or accept another letter), who, why, when",
        {
            "rescoring_id": "Rescoring number, in order applied",
            "exam_id": "Exam rescored",
            "bank_id": "Bank of the challenged item",
            "item_id": "The challenged item",
            "action": "drop (removed from every score) or accept (letter also counted correct)",
            "letter": "The accepted authored letter (accept only)",
            "reason": "Why, as recorded",
            "applied_by": "Who decided",
            "applied_at": "When (UTC)",
            "package_fingerprint": "Package whose keys were used",
            "sittings": "Sittings rescored",
            "decisions_changed": "Sittings whose pass/fail changed",
            "sem": "Standard error of measurement of the rescored raw scores",
            "protect_passes": "1 if the 'no candidate who passed fails through a rescoring' policy applied",
            "protected": "Sittings kept as passes by that policy",
        },
    ),
    "angoff_ratings": (
        "Admin only: modified-Angoff ratings, one per judge, item and round",
        {
            "exam_id": "Exam the ratings are for",
            "judge": "Judge's name as signed in or in the imported CSV",
            "item": "Item (bank/item id)",
            "round": "Rating round (1, 2, ...)",
            "rating": "Probability (0-1) that a minimally competent candidate answers the item correctly",
            "source": "Where the rating came from: the rating screen or an imported file",
            "recorded_at": "When recorded (UTC)",
        },
    ),
    "hofstee_judgements": (
        "Admin only: each judge's Hofstee bounds for the compromise check",
        {
            "exam_id": "Exam",
            "judge": "Judge",
            "min_cut": "Lowest acceptable cut (percent correct)",
            "max_cut": "Highest acceptable cut (percent correct)",
            "min_fail": "Lowest acceptable fail rate (percent)",
            "max_fail": "Highest acceptable fail rate (percent)",
            "source": "Rating screen or imported file",
            "recorded_at": "When recorded (UTC)",
        },
    ),
    "standard_judges": (
        "Admin only: each judge's sign-ins to the rating screen",
        {"exam_id": "Exam", "judge": "Judge", "signed_in_at": "When the judge signed in (UTC)"},
    ),
    "standards": (
        "Admin only: every adopted standard (the cut and how it was set), with the exam file's hash before and after",
        {
            "standard_id": "Adoption number",
            "exam_id": "Exam",
            "method": "Standard-setting method (modified Angoff)",
            "adopted_on": "Date adopted",
            "adopted_by": "Who adopted it",
            "round": "Rating round used",
            "judges": "Number of judges",
            "cut": "Cut of the whole bank (raw points)",
            "cut_se": "Standard error of the cut across judges",
            "rounding": "How a form's cut is made whole: up or nearest",
            "ratings": "The per-item mean ratings adopted (JSON)",
            "exam_file": "Exam definition file rewritten",
            "exam_sha256_before": "SHA-256 of the exam file before adoption",
            "exam_sha256_after": "SHA-256 of the exam file after adoption",
            "adopted_at": "When the adoption was recorded (UTC)",
        },
    ),
    "rescored_scores": (
        "Admin only: each sitting's score before and after each rescoring (originals are never changed)",
        {
            "rescoring_id": "The rescoring (rescorings.rescoring_id)",
            "sitting_id": "The sitting",
            "raw_before": "Items correct before",
            "total_before": "Items scored before",
            "passed_before": "1 if passed before",
            "raw_after": "Items correct after",
            "total_after": "Items scored after (one fewer per dropped item)",
            "percent_after": "raw_after as a percentage of total_after",
            "passed_after": "1 if passed after",
            "module_scores_after": 'Per-module subscores after, JSON {"module": [correct, items]}',
        },
    ),
    "current_scores": (
        "View: each submitted sitting's current score (the latest rescoring, else the terminal's score)",
        {
            "sitting_id": "The sitting",
            "raw": "Items correct",
            "total": "Items scored",
            "percent": "raw as a percentage of total",
            "passed": "1 if passed",
            "module_scores": 'Per-module subscores, JSON {"module": [correct, items]}',
            "rescoring_id": "The rescoring that set this score; empty if the terminal's score stands",
        },
    ),
    "decisions": (
        "Admin only: the latest certification decision per candidate (replaced by each 'admin decisions' run)",
        {
            "candidate_id": "Candidate",
            "name": "Candidate's name from the roster",
            "route": "panel or exam",
            "eligibility": "Eligibility under source 000",
            "eligibility_reason": "Why, in words",
            "sitting_id": "The latest submitted sitting used (exam route)",
            "exam_raw": "Its current raw score",
            "exam_total": "Items scored",
            "exam_passed": "1 if it passed",
            "panel_rubric": "Rubric of the panel result used (panel route)",
            "panel_final": "Final panel percentage (moderated when a moderator recorded one)",
            "panel_decision": "pass, fail, moderation needed or no scores",
            "decision": "certified, not certified, pending review or pending",
            "decision_reason": "Why, in words",
            "decided_at": "When decided (UTC)",
        },
    ),
    "panel_rubrics": (
        "Rubric files the panel scored against, kept verbatim",
        {
            "digest": "SHA-256 of the rubric file",
            "rubric_id": "Rubric id",
            "title": "Rubric title",
            "source": "The rubric YAML as scored against",
        },
    ),
    "panel_sheets": (
        "One scoresheet per rubric, candidate and panelist",
        {
            "sheet_id": "Scoresheet UUID",
            "rubric_id": "Rubric id",
            "rubric_digest": "The exact rubric file (panel_rubrics.digest)",
            "candidate_id": "Candidate scored",
            "panelist": "Panelist's name",
            "created_at": "When the sheet was opened (UTC)",
            "conflict": "1 if the panelist declared a conflict of interest (sheet not counted), 0 if not",
            "conflict_reason": "The panelist's reason for a conflict",
            "seal_hash": "Hash sealing the finalised sheet; empty until sealed",
            "sealed_at": "When finalised (UTC)",
            "voided_at": "When the sheet was voided (opened by mistake, never scored); empty otherwise",
            "void_reason": "Why it was voided, as typed",
        },
    ),
    "panel_scores": (
        "The level each panelist gave each criterion",
        {
            "sheet_id": "Scoresheet",
            "criterion_id": "Rubric criterion",
            "level": "Level given, on the rubric's scale",
        },
    ),
    "panel_notes": (
        "Panelists' notes, per criterion",
        {
            "sheet_id": "Scoresheet",
            "seq": "Note number within the sheet",
            "criterion_id": "Criterion the note is about",
            "text": "The note",
            "noted_at": "When (UTC)",
        },
    ),
    "panel_changes": (
        "Every change to a scoresheet, in order (levels, notes, conflicts, undo, seal)",
        {
            "sheet_id": "Scoresheet",
            "seq": "Change number within the sheet",
            "kind": "What changed",
            "at": "When (UTC)",
            "criterion_id": "Criterion changed, if any",
            "old_level": "Level before",
            "new_level": "Level after",
            "text": "Note or reason text",
            "undoes": "The change this one undoes, if an undo",
        },
    ),
    "panel_moderations": (
        "A moderator's final score for a candidate whose panel scores differed too much",
        {
            "moderation_id": "Moderation UUID",
            "rubric_id": "Rubric",
            "candidate_id": "Candidate",
            "score": "Moderated final percentage, 0-100",
            "reason": "The moderator's reason",
            "moderator": "Moderator's name",
            "moderated_at": "When (UTC)",
        },
    ),
    "panel_timer_events": (
        "Starts and stops of the presentation and Q&A phase timers",
        {
            "sheet_id": "Scoresheet",
            "seq": "Timer event number within the sheet",
            "phase_id": "Rubric phase",
            "kind": "start or stop",
            "at": "Wall-clock time (UTC)",
            "elapsed": "Seconds of the phase before a start, or in total at a stop",
        },
    ),
    "migrations": (
        "Schema migrations applied to this database",
        {"name": "Migration name", "applied_at": "When applied (UTC)"},
    ),
}

TITLE = "CCSOO results"
DESCRIPTION = (
    "Results of the Certified Chief Service Operations Officer assessments: exam sittings, responses "
    "(authored letters, never the key), event chains, panel scoresheets, rescorings and decisions. "
    "Columns are documented in docs/admin.md."
)


def schema(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """The database's tables and views with their columns, in schema order."""
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {name: [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')] for name in names}


def undescribed(tables: dict[str, list[str]]) -> list[str]:
    """``table`` or ``table.column`` for everything in ``tables`` this catalog does not describe."""
    missing = []
    for table, columns in tables.items():
        if table not in TABLES:
            missing.append(table)
            continue
        missing.extend(f"{table}.{c}" for c in columns if c not in TABLES[table][1])
    return missing


def datasette_metadata(tables: dict[str, list[str]], database: str) -> dict[str, Any]:
    """Datasette metadata describing ``tables`` (name -> columns) of the database named ``database``."""
    described: dict[str, Any] = {}
    for table, columns in tables.items():
        text, known = TABLES.get(table, ("(not described by this version of ccsoo-exam)", {}))
        entry: dict[str, Any] = {
            "description": text,
            "columns": {c: known.get(c, "(not described by this version of ccsoo-exam)") for c in columns},
        }
        if table == "candidates":
            entry["label_column"] = "name"
        described[table] = entry
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "databases": {database: {"description": DESCRIPTION, "tables": described}},
    }


def database_name(path: str) -> str:
    """The name Datasette gives a database file: its file name without the extension."""
    return Path(path).stem
