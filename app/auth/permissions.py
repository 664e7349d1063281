"""What each staff role may do. Routes name a permission; the guard checks this map."""

#: role -> permissions
ROLE_PERMISSIONS = {
    "clerk": frozenset({"queue", "case", "decide", "questions", "faq_draft"}),
    "officer": frozenset({"queue", "case", "decide", "questions", "faq_draft"}),
    "supervisor": frozenset({"queue", "case", "decide", "audit", "accounts", "questions",
                             "question_figures", "faq_draft", "faq", "dashboard"}),
    "admin": frozenset({"queue", "case", "decide", "audit", "accounts", "service_points",
                        "catalog", "questions", "question_figures", "standard_answers",
                        "faq_draft", "faq", "dashboard"}),
    "volunteer": frozenset({"desk"}),
}
#: The FAQ: whoever answered a question may turn it into a draft entry (``faq_draft``: they
#: know the question best); supervisors and admins edit the six languages, publish and
#: withdraw (``faq``), as they answer for what the county tells the public.
#: The staff dashboard (``dashboard``): the figures of the windows of a jurisdiction, for
#: those who answer for them (supervisors and admins; above the counties, read-only).
#: Every permission a route may ask for ("staff": any signed-in account; "own": any
#: signed-in account, about itself, read-only accounts included).
PERMISSIONS = frozenset({"staff", "own"}).union(*ROLE_PERMISSIONS.values())


def allows(role: str, permission: str) -> bool:
    """Whether ``role`` has ``permission``."""
    return permission in ("staff", "own") or permission in ROLE_PERMISSIONS.get(role, ())
