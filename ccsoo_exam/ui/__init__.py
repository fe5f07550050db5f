"""The Textual front end: the candidate exam and the panel scoring app, one .tcss per screen."""
