"""The safe language of diagram conditions, scripts and timers: checked syntax, an interpreter, and
bounded functions and operators. Nothing here reaches Python's eval, exec or compile."""
