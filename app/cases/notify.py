"""Emails to applicants about their case."""

from flask import current_app, render_template
from flask_babel import force_locale, gettext as _

from .. import mail
from ..models import AccessToken
from .access import access_expiry, new_access_token


def access_link(case, token: str) -> str:
    """Absolute URL of the access link for an email."""
    return f"{current_app.config['PUBLIC_URL']}/{case.locale}/cases/access/{token}"


def send_access_email(case, token: str, access_code: str) -> str | None:
    """Email the access link, reference and access code, in the case's language."""
    if not case.contact_email:
        return None
    with force_locale(case.locale):
        context = dict(case=case, link=access_link(case, token), access_code=access_code,
                       item_name=case.item.names)
        subject = _("Your OneVisit application %(reference)s: link to continue",
                    reference=case.reference)
        text = render_template("emails/access.txt", **context)
    return mail.send(mail.build_message(case.contact_email, subject, text))


def send_submitted_email(case) -> str | None:
    """Confirm submission, with what happens next."""
    if not case.contact_email:
        return None
    with force_locale(case.locale):
        subject = _("We received your application %(reference)s", reference=case.reference)
        link = f"{current_app.config['PUBLIC_URL']}/{case.locale}/cases/find"
        text = render_template("emails/submitted.txt", case=case, find_link=link)
    return mail.send(mail.build_message(case.contact_email, subject, text))


def N_(message):
    """Mark a message for extraction; it is translated when the email is written."""
    return message


#: Subjects of the notifications, by event kind.
SUBJECTS = {
    "returned": N_("Your application %(reference)s needs corrections"),
    "accepted": N_("Your application %(reference)s is accepted"),
    "transferred": N_("Your application %(reference)s is with the responsible department"),
    "approved": N_("Your application %(reference)s is approved"),
    "rejected": N_("Decision on your application %(reference)s"),
    "result_ready": N_("The result of your application %(reference)s is ready"),
    "delivered": N_("The result of your application %(reference)s is on its way"),
    "reminder": N_("Reminder: materials owed for your application %(reference)s"),
    "message": N_("A message about your application %(reference)s"),
    "agent_code": N_("Your relative's access code for application %(reference)s"),
}


def fresh_access_link(case) -> str:
    """A new access link for this case (each email carries its own)."""
    token, token_hash = new_access_token()
    AccessToken.create(case=case, token_hash=token_hash, expires_at=access_expiry())
    return access_link(case, token)


def notify(case, kind: str, **details) -> bool:
    """Queue an email about ``kind`` in the applicant's language; False if no address."""
    if not case.contact_email or kind not in SUBJECTS:
        return False
    with force_locale(case.locale):
        subject = _(SUBJECTS[kind], reference=case.reference)
        text = render_template("emails/update.txt", case=case, kind=kind,
                               link=fresh_access_link(case), **details)
    mail.enqueue(mail.build_message(case.contact_email, subject, text))
    return True
