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


def load_demo_data() -> list[tuple[str, str, str]]:
    """Create or reset the demo accounts; return ``(email, role, password)``.

    Each account sets up two-step sign-in (an authenticator app) at its
    first sign-in.
    """
    from .points.seed import load_service_points
    load_service_points()
    accounts = []
    for email, name, role, office, department, point, place in DEMO_STAFF:
        staff, password = create_staff(email, name, role, office=office, department=department,
                                       service_point=point, jurisdiction=place,
                                       must_change=False)  # printed to try the demo with
        accounts.append((staff.email, role, password))
    return accounts
