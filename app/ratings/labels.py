"""How the answers of a rating are named to people (applicants and staff alike)."""

from flask_babel import lazy_gettext as _l

#: The five levels of 好差评, best first (stored 5 … 1).
LEVEL_LABELS = {
    5: _l("Very satisfied"),
    4: _l("Satisfied"),
    3: _l("Fairly satisfied"),
    2: _l("Dissatisfied"),
    1: _l("Very dissatisfied"),
}
#: Times the applicant or their family went in person (3: three or more).
VISIT_LABELS = {
    0: _l("Not once"),
    1: _l("Once"),
    2: _l("Twice"),
    3: _l("Three times or more"),
}
#: Whether the guide's list of materials matched what was asked.
GUIDE_LABELS = {
    "yes": _l("Yes, it matched"),
    "partly": _l("Partly"),
    "no": _l("No, more or other materials were asked"),
}
#: The aspects rated on the same five levels, as questions.
ASPECT_LABELS = {
    "speed": _l("How fast was it handled?"),
    "service": _l("How were you served by the staff?"),
    "website": _l("How easy was this website to use?"),
}
#: The same aspects, short (a list of answers).
ASPECT_NAMES = {
    "speed": _l("Speed"),
    "service": _l("Staff"),
    "website": _l("Website"),
}
#: The stages a case is rated at, as a heading.
STAGE_LABELS = {
    "delivered": _l("The whole service, now that you have the result"),
    "accepted": _l("How your application was received and accepted"),
}
