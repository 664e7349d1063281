"""Demo data for the embedded default: staff accounts for each role."""

from .auth import create_staff

#: (email, name, role, office key, department key)
DEMO_STAFF = [
    ("clerk@demo.onevisit", "陈静 Chen Jing", "clerk", "police-global-window", None),
    ("clerk.centre@demo.onevisit", "叶青 Ye Qing", "clerk", "overseas-centre", None),
    ("officer@demo.onevisit", "王磊 Wang Lei", "officer", None, "traffic-vehicle-office"),
    ("supervisor@demo.onevisit", "林芳 Lin Fang", "supervisor", "police-global-window", None),
    ("admin@demo.onevisit", "周明 Zhou Ming", "admin", None, None),
    ("volunteer.milan@demo.onevisit", "胡晓 Hu Xiao", "volunteer", None, None),
]


def load_demo_data() -> list[tuple[str, str, str]]:
    """Create or reset the demo accounts; return ``(email, role, password)``.

    Each account sets up two-step sign-in (an authenticator app) at its
    first sign-in.
    """
    accounts = []
    for email, name, role, office, department in DEMO_STAFF:
        staff, password = create_staff(email, name, role, office=office, department=department)
        accounts.append((staff.email, role, password))
    return accounts
