"""Staff passwords: at least 12 characters, and not easy to guess (zxcvbn, the strength
estimator kept by Dropbox: common passwords, dictionary words, names, dates, keyboard
patterns and the account's own email and name count against a password)."""

from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

MIN_LENGTH = 12
#: zxcvbn's score (0-4) a password needs: 3 is "safely unguessable" against online attacks.
MIN_SCORE = 3

TOO_SHORT = _l("A password needs at least 12 characters.")
TOO_EASY = _l("This password is too easy to guess. Use a longer phrase of words that do not "
              "belong together, without your name or email address.")


def weakness(password: str, *personal: str) -> str | None:
    """Why ``password`` will not do (a message for the person choosing it), or None."""
    if len(password) < MIN_LENGTH:
        return str(TOO_SHORT)
    hints = [part for value in personal if value
             for part in [value, *value.replace("@", " ").replace(".", " ").split()]]
    if zxcvbn(password[:100], user_inputs=hints)["score"] < MIN_SCORE:
        return str(TOO_EASY)
    return None
