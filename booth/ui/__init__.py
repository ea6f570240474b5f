"""The booth's PySide6 screens: draw `Booth.view()`, forward taps; no decision here."""
