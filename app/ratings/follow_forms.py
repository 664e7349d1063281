"""The forms of a follow-up's page: assign, verify, return visit, reply, internal note,
close, appeal and the decision on an appeal. Each step that changes the follow-up carries
the version the page showed, so two supervisors cannot overwrite each other unseen."""

from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import ValidationError

from ..config import LOCALES
from ..forms import Asked, Check, Form, Needed, options, to_int
from ..i18n import LOCALE_NAMES
from ..questions.forms import plain_text
from .follow_labels import CHANNEL_LABELS
from .service import MAX_TEXT, VISIT_CHANNELS


def _text(label, needed, description=None, rows=4):
    checks = [Check(lambda v: len((v or "").strip()) <= MAX_TEXT,
                    _l("Keep it to %(num)s characters or fewer.", num=f"{MAX_TEXT:,}"))]
    if needed:
        checks.insert(0, Needed(needed))
    return TextAreaField(label, render_kw={"rows": rows}, description=description,
                         validators=checks, filters=[plain_text])


class StepForm(Form):
    """A step on the follow-up as the page showed it (``version``)."""

    version = HiddenField()

    def validate(self, extra_validators=None):
        """The fields' rules, and a version the page could have sent."""
        valid = super().validate(extra_validators)
        if to_int(self.version.data, 0) < 1:
            self.form_errors.append(_("This form is out of date: reload the page and send "
                                      "it again."))
            return False
        return valid

    def expected_version(self) -> int:
        """The version the page showed."""
        return to_int(self.version.data, 0)


class AssignForm(StepForm):
    """Give the follow-up to a supervisor of the window, or to nobody."""

    to = SelectField(_l("Supervisor"), choices=[], validate_choice=False, validators=[Asked()])

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {str(s.id): s for s in people}
        self.to.choices = options([("nobody", _("Nobody"))]
                                  + [(s.id, s.name) for s in people])

    def validate_to(self, field):
        if field.data != "nobody" and field.data not in self.people:
            raise ValidationError(_("Choose a supervisor of the window."))

    def holder(self):
        """The chosen holder (None: nobody)."""
        return self.people.get(self.to.data)


class VerifyForm(StepForm):
    """What checking the complaint found."""

    holds = RadioField(_l("Does the complaint hold?"), validate_choice=False,
                       validators=[Asked()])
    note = _text(_l("What was checked and found"), _l("Say what was checked and found."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.holds.choices = options([("yes", _("Yes: the applicant has a point")),
                                      ("no", _("No: the case was handled as it should be"))])

    def validate_holds(self, field):
        if field.data not in ("yes", "no"):
            raise ValidationError(_("Say whether the complaint holds."))


class VisitForm(StepForm):
    """The return visit (回访): how, in which language, and what the applicant said."""

    channel = RadioField(_l("How was the applicant reached?"), validate_choice=False,
                         validators=[Asked()])
    lang = SelectField(_l("Language spoken or written"), choices=options(LOCALE_NAMES.items()),
                       validate_choice=False, validators=[Asked()])
    note = _text(_l("What the applicant said"), _l("Write down what the applicant said."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel.choices = options((c, CHANNEL_LABELS[c]) for c in VISIT_CHANNELS)

    def validate_channel(self, field):
        if field.data not in VISIT_CHANNELS:
            raise ValidationError(_("Choose how the applicant was reached."))

    def validate_lang(self, field):
        if field.data not in LOCALES:
            raise ValidationError(_("Choose a language."))


class ReplyForm(StepForm):
    """The reply to the applicant, in their language: on their case page and by email."""

    text = _text(_l("Reply"), _l("Write the reply."), rows=8)


class NoteForm(Form):
    """An internal note (the applicant never reads it)."""

    note = _text(_l("Internal note"), _l("Write the note."),
                 description=_l("Only staff read it; the applicant never does."), rows=3)


class CloseForm(StepForm):
    """Close the follow-up, with an optional last word for the file."""

    note = _text(_l("Closing note"), None, rows=2)


class AppealForm(StepForm):
    """Appeal the rating as unfair (申诉)."""

    reason = _text(_l("Why is the rating unfair?"), _l("Say why the rating is unfair."),
                   description=_l("Another supervisor reads it and decides."))


class DecideForm(StepForm):
    """Decide an appeal: upheld (the rating is left out of the figures, the follow-up
    closes) or dismissed (the follow-up goes on)."""

    outcome = RadioField(_l("Decision"), validate_choice=False, validators=[Asked()])
    note = _text(_l("Reasons"), _l("Give the reasons for the decision."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = options([
            ("upheld", _("Uphold: the rating is unfair; leave it out of the figures and "
                         "close the follow-up")),
            ("dismissed", _("Dismiss: the rating stands; the follow-up goes on"))])

    def validate_outcome(self, field):
        if field.data not in ("upheld", "dismissed"):
            raise ValidationError(_("Choose a decision."))
