"""The applicant's rating form: five levels, visits in person, the guide, three aspects,
a comment. Radio groups only (large, no JavaScript); what was typed stays on a refusal."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField

from ..forms import Check, Form, Optional, options
from ..questions.forms import plain_text
from ..models.ratings import ASPECTS, GUIDE_ANSWERS, LEVELS, VISITS
from .labels import ASPECT_LABELS, GUIDE_LABELS, LEVEL_LABELS, VISIT_LABELS
from .service import MAX_TEXT, Answers

_LEVELS = {str(level) for level in LEVELS}


class Either(Check):
    """:class:`Check` for an optional answer: the label keeps its "(optional)"."""

    field_flags = {}


def _levels(label, *, required: bool, message=None, description=None):
    validators = ([Check(lambda v: v in _LEVELS, message)] if required else
                  [Optional(), Either(lambda v: v in _LEVELS, _l("Choose one of the answers."))])
    return RadioField(label, choices=options((level, LEVEL_LABELS[level]) for level in LEVELS),
                      validate_choice=False, validators=validators, description=description)


class RatingForm(Form):
    """How satisfied the applicant is, and what it took them."""

    level = _levels(_l("Overall, how satisfied are you with this service?"), required=True,
                    message=_l("Choose how satisfied you are overall."))
    visits = RadioField(
        _l("How many times did you or your family have to go to an office in person for "
           "this application?"),
        choices=options((visits, VISIT_LABELS[visits]) for visits in VISITS),
        validate_choice=False, description=_l("In China or abroad, counting every trip."),
        validators=[Check(lambda v: v in {str(n) for n in VISITS},
                          _l("Choose how many times you had to go in person."))])
    guide = RadioField(
        _l("Did the list of materials in the service guide match what you were asked for?"),
        choices=options((answer, GUIDE_LABELS[answer]) for answer in GUIDE_ANSWERS),
        validate_choice=False,
        validators=[Optional(), Either(lambda v: v in GUIDE_ANSWERS,
                                      _l("Choose one of the answers."))])
    speed = _levels(ASPECT_LABELS["speed"], required=False)
    service = _levels(ASPECT_LABELS["service"], required=False)
    website = _levels(ASPECT_LABELS["website"], required=False)
    comment = TextAreaField(
        _l("Anything you want to tell the window?"),
        description=_l("What went well, what went wrong, what should change. At most "
                       "%(num)d characters.", num=MAX_TEXT),
        render_kw={"rows": 5}, filters=[plain_text],
        validators=[Optional(), Either(lambda v: len(v or "") <= MAX_TEXT,
                                      _l("Write at most %(num)d characters.", num=MAX_TEXT))])

    def answers(self) -> Answers:
        """The validated answers, as the service takes them."""
        def number(name):
            value = self[name].data
            return int(value) if value else None
        return Answers(level=int(self.level.data), visits=int(self.visits.data),
                       guide=self.guide.data or None,
                       **{name: number(name) for name in ASPECTS},
                       comment=(self.comment.data or "").replace("\r\n", "\n").strip())


def form_data(rating) -> dict:
    """A stored rating as the form's values (to change it)."""
    if rating is None:
        return {}
    data = {name: str(getattr(rating, name)) for name in ("level", "visits", *ASPECTS)
            if getattr(rating, name) is not None}
    data.update(guide=rating.guide or "", comment=rating.comment or "")
    return data
