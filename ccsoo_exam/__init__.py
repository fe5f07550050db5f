"""ccsoo-exam: delivery and scoring of the CCSOO certification assessments.

The package is layered: the modules at this level are the pure domain (no Textual, no
SQLite); ``store`` keeps results in SQLite; ``ui`` is the Textual front end; ``cli`` is
the thin command line over all of them.
"""

__version__ = "0.1.0"
