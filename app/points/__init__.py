"""Overseas service points, their volunteers, and the window's opening hours."""
