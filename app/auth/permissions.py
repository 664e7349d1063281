"""What each staff role may do. Routes name a permission; the guard checks this map."""

#: role -> permissions
ROLE_PERMISSIONS = {
    "clerk": frozenset({"queue", "case", "decide", "questions"}),
    "officer": frozenset({"queue", "case", "decide", "questions"}),
    "supervisor": frozenset({"queue", "case", "decide", "audit", "accounts", "questions",
                             "question_figures"}),
    "admin": frozenset({"queue", "case", "decide", "audit", "accounts", "service_points",
                        "catalog", "questions", "question_figures", "standard_answers"}),
    "volunteer": frozenset({"desk"}),
}
#: Every permission a route may ask for ("staff": any signed-in account; "own": any
#: signed-in account, about itself, read-only accounts included).
PERMISSIONS = frozenset({"staff", "own"}).union(*ROLE_PERMISSIONS.values())


def allows(role: str, permission: str) -> bool:
    """Whether ``role`` has ``permission``."""
    return permission in ("staff", "own") or permission in ROLE_PERMISSIONS.get(role, ())
