"""What each staff role may do. Routes name a permission; the guard checks this map."""

#: role -> permissions
ROLE_PERMISSIONS = {
    "clerk": frozenset({"queue", "case", "decide", "questions", "faq_draft", "rating_appeal"}),
    "officer": frozenset({"queue", "case", "decide", "questions", "faq_draft"}),
    "supervisor": frozenset({"queue", "case", "decide", "audit", "accounts", "questions",
                             "question_figures", "faq_draft", "faq", "follow_ups",
                             "rating_appeal", "dashboard"}),
    "admin": frozenset({"queue", "case", "decide", "audit", "accounts", "service_points",
                        "catalog", "questions", "question_figures", "standard_answers",
                        "faq_draft", "faq", "follow_ups", "rating_appeal", "dashboard"}),
    "volunteer": frozenset({"desk"}),
}
#: The FAQ: whoever answered a question may turn it into a draft entry (``faq_draft``: they
#: know the question best); supervisors and admins edit the six languages, publish and
#: withdraw (``faq``), as they answer for what the county tells the public.
#: Bad ratings (差评): the window's clerks read the follow-ups of their window and may
#: appeal a rating they find unfair (``rating_appeal``); supervisors and admins follow them
#: up: verify, return visit, reply, close, and decide others' appeals (``follow_ups``).
#: The staff dashboard (``dashboard``): the figures of the windows of a jurisdiction, for
#: those who answer for them (supervisors and admins; above the counties, read-only).
#: Every permission a route may ask for ("staff": any signed-in account; "own": any
#: signed-in account, about itself, read-only accounts included).
PERMISSIONS = frozenset({"staff", "own"}).union(*ROLE_PERMISSIONS.values())


def allows(role: str, permission: str) -> bool:
    """Whether ``role`` has ``permission``."""
    return permission in ("staff", "own") or permission in ROLE_PERMISSIONS.get(role, ())
