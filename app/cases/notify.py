"""Emails to applicants about their case."""

from flask import current_app, render_template
from flask_babel import force_locale, gettext as _

from .. import mail


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
