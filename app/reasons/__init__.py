"""Standard return reasons: the library, how it reads for a case, and its admin pages."""
