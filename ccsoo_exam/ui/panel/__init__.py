"""Panel mode: live rubric scoring of the executive presentation, one panelist per machine."""

from ccsoo_exam.ui.panel.app import PanelApp, make_chair_app, make_panel_app

__all__ = ["PanelApp", "make_chair_app", "make_panel_app"]
