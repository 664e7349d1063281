"""Demo data for the embedded default: the six service points and staff for each role."""

from .auth import create_staff

#: (email, name, role, office key, department key, service point key, jurisdiction key)
DEMO_STAFF = [
    ("clerk@demo.onevisit", "陈静 Chen Jing", "clerk", "police-global-window", None, None, None),
    ("clerk.centre@demo.onevisit", "叶青 Ye Qing", "clerk", "overseas-centre", None, None, None),
    ("officer@demo.onevisit", "王磊 Wang Lei", "officer", None, "traffic-vehicle-office", None,
     None),
    ("supervisor@demo.onevisit", "林芳 Lin Fang", "supervisor", "police-global-window", None,
     None, None),
    ("admin@demo.onevisit", "周明 Zhou Ming", "admin", None, None, None, "wencheng"),
    ("clerk.qingtian@demo.onevisit", "叶伟 Ye Wei", "clerk", "qingtian-police-window", None,
     None, None),
    ("clerk.qiaohaitong@demo.onevisit", "季红 Ji Hong", "clerk", "qingtian-qiaohaitong", None,
     None, None),
    ("admin.qingtian@demo.onevisit", "刘洋 Liu Yang", "admin", None, None, None, "qingtian"),
    ("clerk.liandu@demo.onevisit", "吴敏 Wu Min", "clerk", "liandu-police-liaison", None, None,
     None),
    ("clerk.liandu.centre@demo.onevisit", "徐丽 Xu Li", "clerk", "liandu-service-centre", None,
     None, None),
    ("supervisor.province@demo.onevisit", "赵峰 Zhao Feng", "supervisor", None, None, None,
     "zhejiang"),
    ("volunteer.milan@demo.onevisit", "胡晓 Hu Xiao", "volunteer", None, None, "milan", None),
    ("volunteer.paris@demo.onevisit", "潘丽 Pan Li", "volunteer", None, None, "paris", None),
]


class DemoOff(Exception):
    """The demo is off (``ONEVISIT_DEMO``), or the account is not a demo account."""


def load_demo_data() -> list[tuple[str, str, str]]:
    """Create or reset the demo accounts; return ``(email, role, password)``.

    Each account comes enrolled in two-step sign-in with a secret of its own, so
    that a newcomer can walk the staff side without an authenticator app:
    :func:`current_code` gives the code of the moment.
    """
    from flask import current_app
    from .auth.mfa import new_secret
    from .models import Staff
    from .points.seed import load_service_points
    if not current_app.config["DEMO"]:
        raise DemoOff("the demo is off: set ONEVISIT_DEMO=true to load demo accounts")
    load_service_points()
    accounts = []
    for email, name, role, office, department, point, place in DEMO_STAFF:
        staff, password = create_staff(email, name, role, office=office, department=department,
                                       service_point=point, jurisdiction=place,
                                       totp_secret=new_secret(),
                                       must_change=False)  # printed to try the demo with
        Staff.update(demo=True).where(Staff.id == staff.id).execute()
        accounts.append((staff.email, role, password))
    from .questions.faqdemo import load_demo_faq
    load_demo_faq()  # so that /<lang>/faq is not empty on a fresh start
    return accounts


def current_code(email: str) -> str:
    """The authenticator code of the moment for a demo account; :class:`DemoOff` for any
    other account, and for every account while the demo is off."""
    import pyotp
    from flask import current_app
    from .models import Staff
    if not current_app.config["DEMO"]:
        raise DemoOff("the demo is off (ONEVISIT_DEMO): no codes are given")
    staff = Staff.get_or_none(Staff.email == (email or "").strip().lower())
    if staff is None or not staff.demo or not staff.totp_secret:
        raise DemoOff(f"{email} is not a demo account: its codes come from its owner's app")
    return pyotp.TOTP(staff.totp_secret).now()
