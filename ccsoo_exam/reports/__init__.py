"""Documents made from results: the administrator's HTML report and the candidate's PDF score report.

Pure: the store gathers the figures, these modules only lay them out. No Textual, no SQLite.
"""
