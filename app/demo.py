"""Demo data for the embedded default: staff accounts for each role."""

from .auth import create_staff

DEMO_STAFF = [
    ("clerk@demo.onevisit", "陈静 Chen Jing", "clerk"),
    ("officer@demo.onevisit", "王磊 Wang Lei", "officer"),
    ("supervisor@demo.onevisit", "林芳 Lin Fang", "supervisor"),
    ("admin@demo.onevisit", "周明 Zhou Ming", "admin"),
    ("volunteer.milan@demo.onevisit", "胡晓 Hu Xiao", "volunteer"),
]


def load_demo_data() -> list[tuple[str, str, str]]:
    """Create or reset the demo accounts; return ``(email, role, password)``."""
    accounts = []
    for email, name, role in DEMO_STAFF:
        staff, password = create_staff(email, name, role)
        accounts.append((staff.email, role, password))
    return accounts
