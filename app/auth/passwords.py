"""Staff passwords: at least 12 characters, and not easy to guess (zxcvbn, the strength
estimator kept by Dropbox: common passwords, dictionary words, names, dates, keyboard
patterns and the account's own email and name count against a password)."""

import re

from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128
#: zxcvbn reads this much of a password (it refuses longer ones; the rest only adds).
ESTIMATED_LENGTH = 72
#: Words anyone guessing a password here would try first: the service, its places,
#: its offices.
SERVICE_WORDS = ("onevisit", "one visit", "zuiduopaoyici", "paoyici", "wenzhou", "wencheng",
                 "qingtian", "lishui", "liandu", "zhejiang", "ruian", "yongjia", "window",
                 "global", "milano", "milan", "prato", "paris", "madrid", "lisboa", "lisbon")
#: zxcvbn's score (0-4) a password needs: 3 is "safely unguessable" against online attacks.
MIN_SCORE = 3

TOO_SHORT = _l("A password needs at least 12 characters.")
TOO_LONG = _l("A password can have at most 128 characters.")
TOO_EASY = _l("This password is too easy to guess. Use a longer phrase of words that do not "
              "belong together, without your name or email address.")


def weakness(password: str, *personal: str) -> str | None:
    """Why ``password`` will not do (a message for the person choosing it), or None."""
    if len(password) < MIN_LENGTH:
        return str(TOO_SHORT)
    if len(password) > MAX_LENGTH:
        return str(TOO_LONG)
    hints = [part for value in personal if value
             for part in [value, *value.replace("@", " ").replace(".", " ").split()]]
    hints += [*SERVICE_WORDS, *_place_names()]
    if zxcvbn(password[:ESTIMATED_LENGTH], user_inputs=hints)["score"] < MIN_SCORE:
        return str(TOO_EASY)
    # zxcvbn counts "OneVisit2026!!" as hard: what is left without the service's and the
    # person's own words must be hard on its own.
    words = sorted({hint.lower() for hint in hints if len(hint) >= 4}, key=len, reverse=True)
    rest = re.sub("|".join(map(re.escape, words)), " ", password, flags=re.IGNORECASE)
    if rest != password and zxcvbn(rest.strip()[:ESTIMATED_LENGTH] or " ")["score"] < MIN_SCORE:
        return str(TOO_EASY)
    return None


def _place_names() -> list[str]:
    """The keys of the network's jurisdictions and service points (``wencheng``,
    ``milan-fuqing``): what a clerk of one of them might build a password from."""
    from ..models import Jurisdiction, ServicePoint
    try:
        return [part for model in (Jurisdiction, ServicePoint)
                for (key,) in model.select(model.key).tuples()
                for part in key.split("-")]
    except Exception:  # noqa: BLE001 - no database at hand (the command line before set-up)
        return []
