"""The applicant journey and the case state machine."""
