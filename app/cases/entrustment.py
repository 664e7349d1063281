"""The entrustment step: doing the formalities oneself, or entrusting a relative at home.

For items that allow an agent (受托人), the applicant either does everything
herself or names a relative in China, what that person may do (submit, sign,
collect the result) and for how long. The answers feed the entrustment letter
(委托书) and, later, the video identity check. The form is
:func:`app.cases.forms.entrustment_form`.
"""

from flask_babel import lazy_gettext as _l

from ..i18n import N_


POWERS = ("submit", "sign", "collect")
#: Message ids, so documents can print them in two languages at once.
POWER_MESSAGES = {
    "submit": N_("Hand in the application and materials at the window"),
    "sign": N_("Sign forms and records on my behalf"),
    "collect": N_("Collect the result (certificate, document or licence)"),
}
RELATIONSHIPS = ("spouse", "parent", "child", "sibling", "grandparent", "grandchild",
                 "other_relative")
RELATIONSHIP_MESSAGES = {
    "spouse": N_("Spouse"), "parent": N_("Parent"), "child": N_("Son or daughter"),
    "sibling": N_("Brother or sister"), "grandparent": N_("Grandparent"),
    "grandchild": N_("Grandchild"), "other_relative": N_("Other relative"),
}
POWER_LABELS = {key: _l(message) for key, message in POWER_MESSAGES.items()}
RELATIONSHIP_LABELS = {key: _l(message) for key, message in RELATIONSHIP_MESSAGES.items()}
MAX_VALIDITY_DAYS = 731


def agent_fields() -> list[dict]:
    """The agent's details, as catalog-style field definitions."""
    return [
        {"key": "agent_name_zh", "type": "name_zh", "required": True,
         "label": _l("Your relative's name in Chinese characters"),
         "help": _l("As on their Chinese ID card.")},
        {"key": "agent_cn_id", "type": "cn_id", "required": True,
         "label": _l("Your relative's Chinese ID card number"),
         "help": _l("The window checks it against their ID card when they come.")},
        {"key": "agent_relationship", "type": "choice", "required": True,
         "label": _l("How is this person related to you?"),
         "choices": [{"value": v, "label": RELATIONSHIP_LABELS[v]} for v in RELATIONSHIPS]},
        {"key": "agent_phone", "type": "phone_cn", "required": True,
         "label": _l("Your relative's phone number in China"),
         "help": _l("The window calls this number to arrange the visit.")},
    ]
