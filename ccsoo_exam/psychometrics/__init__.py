"""Psychometrics: standard setting, reliability, decision consistency, DIF and item statistics.

Pure domain modules (no Textual, no SQLite), one per concept. ``standard`` (the adopted
standard and each form's cut) is stdlib-only because the exam's delivery path imports it;
the analysis modules use numpy/scipy and are imported only by the admin commands.
"""
