"""A year of demo history (``flask load-demo``): cases across the demo counties, their
items and the service points, taken through the same code paths as real ones, so that
``/<lang>/statistics`` and ``/staff/dashboard`` have something to show on a fresh start.

Each case is started with :func:`app.cases.journey.start_case` (marked ``demo``), answered,
given tiny photos or promised materials for later, its identity checked over video,
submitted, and decided by the demo window's clerks through the staff commands
(:mod:`app.cases.commands`): accepted, some returned and sent again, some passed to a
department, approved, result recorded, delivered, closed; a few rejected or withdrawn.
Delivered cases are rated through :func:`app.ratings.service.rate`; bad ratings are
followed up through the same service (verified, visited, replied, closed; one appeal
upheld, one dismissed; the latest still open). The clock is moved to each step's moment
(window hours, Beijing time), so the counts land in the months they belong to.

Demo applicants give no email address: nothing is ever sent for these cases; the emails
their steps would send to staff are marked done at once, unsent. Running it again adds
nothing: each case has a fixed start key, and the history is made once.
"""

import io
import random
from datetime import date, datetime, time, timedelta, timezone

from .clock import BEIJING, clock_at, now as clock_now

#: How many cases a fresh demo gets: each goes through every step a real one does (about
#: 0.3 s a case on two cores, most of it the statistics' counts and the case's events),
#: so this keeps the first start near a minute (``ONEVISIT_DEMO_HISTORY`` changes it).
DEFAULT_SIZE = 200
#: Where the demo's applicants apply, by county: most of them to Wencheng, whose window
#: the demo's supervisor runs.
COUNTY_WEIGHTS = {"wencheng": 5, "qingtian": 3, "liandu": 2}
#: The start key prefix of every history case (idempotence).
KEY = "demo-history-"
SEED = 18
#: Accounts that make the history look like a real office (no password is printed: they
#: are there to have done the work, not to sign in).
HISTORY_STAFF = [
    ("clerk.zhang@demo.onevisit", "张伟 Zhang Wei", "clerk", "police-global-window", None),
    ("clerk.wang@demo.onevisit", "王芳 Wang Fang", "clerk", "qingtian-police-window", None),
    ("supervisor.qingtian@demo.onevisit", "陈刚 Chen Gang", "supervisor",
     "qingtian-police-window", None),
    ("supervisor.liandu@demo.onevisit", "李娜 Li Na", "supervisor", "liandu-service-centre",
     None),
    ("admin.liandu@demo.onevisit", "孙磊 Sun Lei", "admin", None, "liandu"),
]
#: Where applicants live: (country, city, time zone, phone prefix, locale, service point).
PLACES = [
    ("IT", "Milano", "Europe/Rome", ("+39347", 7), "it", "milan"),
    ("IT", "Prato", "Europe/Rome", ("+39328", 7), "zh", "prato"),
    ("IT", "Roma", "Europe/Rome", ("+39333", 7), "it", "rome"),
    ("FR", "Paris", "Europe/Paris", ("+336", 8), "fr", "paris"),
    ("ES", "Madrid", "Europe/Madrid", ("+346", 8), "es", None),
    ("PT", "Lisboa", "Europe/Lisbon", ("+35191", 7), "pt", None),
    ("AE", "Dubai", "Asia/Dubai", ("+97150", 7), "zh", "dubai"),
    ("ZA", "Johannesburg", "Africa/Johannesburg", ("+2782", 7), "zh", "johannesburg"),
    ("CN", "上海", "Asia/Shanghai", ("+86138", 8), "zh", None),
]
SURNAMES = [("林", "LIN"), ("陈", "CHEN"), ("周", "ZHOU"), ("胡", "HU"), ("叶", "YE"),
            ("王", "WANG"), ("吴", "WU"), ("徐", "XU"), ("潘", "PAN"), ("季", "JI")]
GIVEN = [("美", "Mei"), ("建国", "Jianguo"), ("丽", "Li"), ("伟", "Wei"), ("芳", "Fang"),
         ("晓东", "Xiaodong"), ("静", "Jing"), ("海", "Hai"), ("秀英", "Xiuying"), ("强", "Qiang")]
#: A few words applicants leave with a rating, by level and language.
COMMENTS = {
    5: {"zh": "不用回国就办好了，非常感谢！", "it": "Tutto fatto senza tornare in Cina, grazie.",
        "fr": "Tout s'est fait sans rentrer en Chine, merci.", "es": "Todo resuelto sin viajar.",
        "pt": "Tudo tratado sem viajar, obrigado."},
    2: {"zh": "等了很久，电话也没人回。", "it": "Ho aspettato molto e nessuno ha risposto.",
        "fr": "Longue attente, personne n'a répondu.", "es": "Esperé mucho y nadie contestó.",
        "pt": "Esperei muito e ninguém respondeu."},
    1: {"zh": "材料要求和指南上写的不一样，来回补了两次。",
        "it": "Hanno chiesto documenti diversi da quelli della guida.",
        "fr": "On m'a demandé d'autres documents que ceux du guide.",
        "es": "Pidieron documentos distintos de los de la guía.",
        "pt": "Pediram documentos diferentes dos do guia."},
}


def _tiny_jpeg() -> bytes:
    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (210, 200, 180)).save(buffer, "JPEG", quality=60)
    return buffer.getvalue()


def _cn_id(rng: random.Random, born: date) -> str:
    from stdnum.cn import ric
    body = f"330328{born:%Y%m%d}{rng.randrange(100, 999)}"
    # The library's check digit is computed over the whole number, its last character aside.
    return body + ric.calc_check_digit(body + "0")


class _History:
    """One run: the random choices, the people, the clock."""

    def __init__(self, size: int, seed: int, end: datetime):
        self.rng = random.Random(seed)
        self.size = size
        self.end = end  # nothing happens after this moment (the real now)
        self.start = end - timedelta(days=365)
        self.photo = _tiny_jpeg()
        self.counts = {"cases": 0, "delivered": 0, "ratings": 0, "follow_ups": 0}
        self.bad = []  # (moment rated, rating) of the bad ratings, for the follow-ups

    # -- People and places -----------------------------------------------------------

    def prepare(self) -> None:
        """The accounts and the items the history uses."""
        from .auth import create_staff
        from .models import Item, ItemSpec, ServicePoint, Staff
        from .models.cases import OTHER_MATTER
        for email, name, role, office, place in HISTORY_STAFF:
            if Staff.get_or_none(Staff.email == email) is None:
                staff, _password = create_staff(email, name, role, office=office,
                                                jurisdiction=place, must_change=False)
                Staff.update(demo=True).where(Staff.id == staff.id).execute()
        self.items = []
        for item in Item.select().where(Item.active == True).order_by(Item.code):  # noqa: E712
            spec = ItemSpec.of(item, item.version)
            if spec.kind != OTHER_MATTER:
                self.items.append(item)
        self.county_of = {i.id: i.department.jurisdiction.key for i in self.items}
        self.per_county = {}
        for key in self.county_of.values():
            self.per_county[key] = self.per_county.get(key, 0) + 1
        self.points = {p.key: p for p in ServicePoint.select()}
        self.volunteers = {}
        for volunteer in Staff.select().where((Staff.role == "volunteer")
                                              & Staff.service_point.is_null(False)):
            self.volunteers.setdefault(volunteer.service_point_id, volunteer)

    def clerks(self, office_id: int) -> list:
        from .models import Staff
        return list(Staff.holders_in([office_id]).where(Staff.role == "clerk")) or list(
            Staff.holders_in([office_id]))

    def supervisor(self, office_id: int, county_id: int, other_than=()):
        """Who follows a bad rating up: the window's supervisor, else the county's admin."""
        from .models import Office, Staff
        county_offices = Office.select(Office.id).where(Office.jurisdiction == county_id)
        for query in (Staff.select().where((Staff.office == office_id)
                                           & (Staff.role == "supervisor")),
                      Staff.select().where((Staff.jurisdiction == county_id)
                                           & Staff.role.in_(["supervisor", "admin"])),
                      Staff.select().where(Staff.office.in_(county_offices)
                                           & (Staff.role == "supervisor"))):
            for person in query.order_by(Staff.id):
                if person.id not in other_than and person.active:
                    return person
        return None

    # -- Time ----------------------------------------------------------------------------

    def at(self, day: date, earliest: int = 14, latest: int = 21) -> datetime:
        """A moment of ``day`` in the window's hours (Beijing), as aware UTC."""
        moment = datetime.combine(day, time(self.rng.randint(earliest, latest),
                                            self.rng.randrange(60)), BEIJING)
        return moment.astimezone(timezone.utc)

    def working_after(self, moment: datetime, days: int) -> datetime:
        from .cases.workdays import add_working_days
        day, _exact = add_working_days(moment.astimezone(BEIJING).date(), days)
        return max(self.at(day), moment + timedelta(minutes=5))

    # -- One case -----------------------------------------------------------------------

    def answers(self, case) -> None:
        from .cases import journey
        from .cases.fields import FieldError, clean_field
        rng = self.rng
        surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
        born = date(rng.randint(1950, 1995), rng.randint(1, 12), rng.randint(1, 28))
        values = {"name_zh": surname[0] + given[0], "name_latin": f"{surname[1]} {given[1]}",
                  "cn_id": _cn_id(rng, born), "passport": f"E{rng.randrange(10**7, 10**8)}",
                  "phone": self.phone("phone"), "phone_cn": self.phone("phone_cn"),
                  "email": None, "address_abroad": f"{rng.randint(1, 200)} {self.place[1]}",
                  "address_home": "浙江省文成县大峃镇建设路18号", "text": "—",
                  "textarea": "见所附材料。"}
        today = clock_now().date()
        for step in case.spec.steps:
            clean = {}
            for field in step["fields"]:
                kind = field["type"]
                if kind == "date":
                    constraint = field.get("constraint", "any")
                    raw = (born.isoformat() if constraint == "past" else
                           (today + timedelta(days=rng.randint(30, 700))).isoformat())
                elif kind == "choice":
                    raw = rng.choice(field["choices"])["value"]
                elif kind == "number":
                    raw = str(max(field.get("min") or 1, 1))
                else:
                    raw = values.get(kind)
                if kind == "email" or (not field.get("required", True) and rng.random() < 0.5):
                    raw = None
                for _attempt in range(20):  # a random number may not be one in use
                    try:
                        clean[field["key"]] = clean_field(field, raw, case.country)
                        break
                    except FieldError:
                        clean[field["key"]] = None
                        raw = self.phone(kind) if kind in ("phone", "phone_cn") else raw
            case = journey.save_answers(case, clean, step["key"])
        if case.spec.agent_allowed:
            case = journey.save_entrustment(case, {"mode": "self"})
        return case

    def phone(self, kind: str) -> str:
        """A mobile number where the applicant lives (in China: ``phone_cn``)."""
        prefix, digits = ("+86138", 8) if kind == "phone_cn" else self.place[3]
        return prefix + "".join(str(self.rng.randrange(10)) for _n in range(digits))

    def materials(self, case, defer: bool):
        from .cases import journey
        deferred = False
        for state in journey.material_states(case):
            material = state.material
            if defer and not material.essential and not deferred:
                case = journey.set_deferred(case, material, True)
                deferred = True
                continue
            for _n in range(max(material.min_files, 0)):
                case, _upload = journey.add_file(case, material, self.photo, "photo.jpg")
        return case

    def video(self, case, clerk, moment):
        """The identity check over video, when the item asks for one: booked at the first
        free slot, its outcome recorded as the call starts. Returns the case and the
        moment the next step may come."""
        from .cases import appointments
        from .models import Case
        if not case.needs_video_check:
            return case, moment
        with (self.steps(moment) or _Stop()):
            days = appointments.slot_days(appointments.office_id_of(case))
            start = next(s for d in days for s, free in d.slots if free)
            appointment, _token = appointments.book(case, start, case.timezone,
                                                    booked_by="staff", staff=clerk)
        held = start.astimezone(timezone.utc) + timedelta(minutes=3)
        with (self.steps(held) or _Stop()):
            case, _code = appointments.record_outcome(
                Case.get_by_id(case.id), appointment, clerk, confirmed=True,
                participants=["applicant"], agent_confirmed=False)
        return case, max(moment, held + timedelta(minutes=15))

    def command(self, name: str, case, staff, **data):
        """A staff decision through its command, as the case page posts it."""
        from werkzeug.datastructures import MultiDict
        from .cases import commands
        from .models import Case
        case = Case.get_by_id(case.id)
        command = commands.COMMANDS[name]
        fields = MultiDict()
        for key, value in dict(data, version=case.version).items():
            for one in (value if isinstance(value, list) else [value]):
                fields.add(key, str(one))
        form = command.form(case, fields, meta={"csrf": False})
        commands.run(command, case, staff, form)
        return Case.get_by_id(case.id)

    def one(self, index: int) -> None:
        """Make the case ``index``: its whole life up to now."""
        from .cases import journey
        from .models import Case
        rng = self.rng
        if Case.select().where(Case.start_key == f"{KEY}{index}").exists():
            return
        item = rng.choices(self.items, [COUNTY_WEIGHTS.get(self.county_of[i.id], 1)
                                        / self.per_county[self.county_of[i.id]]
                                        for i in self.items])[0]
        office = journey.home_office(item)
        if office is None:
            return
        self.place = place = rng.choice(PLACES)
        point = self.points.get(place[5]) if place[5] and rng.random() < 0.6 else None
        volunteer = self.volunteers.get(point.id) if point is not None else None
        clerks = self.clerks(office.id)
        if not clerks:
            return
        clerk = rng.choice(clerks)
        # Later months are busier (the service grows).
        offset = timedelta(days=365 * (1 - rng.random() ** 1.4))
        sent_at = self.at((self.start + offset).astimezone(BEIJING).date(), 9, 22)
        if sent_at > self.end - timedelta(hours=1):
            return
        fate = rng.random()
        defer = 0.1 <= fate < 0.18
        with clock_at(sent_at - timedelta(minutes=rng.randint(20, 90)), frozen=True):
            started = journey.start_case(item, start_key=f"{KEY}{index}",
                                         locale=place[4], email=None, phone=None,
                                         country=place[0], city=place[1], tz=place[2],
                                         assisted_by=volunteer, demo=True)
            case = self.answers(started.case)
            case = self.materials(case, defer)
        with clock_at(sent_at, frozen=True):
            try:
                case, _replayed = journey.submit(case, declared=True,
                                                 expected_version=case.version)
            except journey.SubmitError as error:
                raise RuntimeError(f"demo case {item.code} not complete: "
                                   f"{error.detail.step_errors if error.detail else error}")
        self.counts["cases"] += 1
        self.life(case, clerk, fate, sent_at, defer)

    def steps(self, moment):
        """A context for one step at ``moment``; None when it is still to come."""
        return clock_at(moment, frozen=True) if moment < self.end else None

    def life(self, case, clerk, fate, sent_at, defer) -> None:
        from .cases import journey
        from .reasons import library as reasons
        rng = self.rng
        moment = self.working_after(sent_at, rng.choice((0, 1, 1, 2)))
        if fate < 0.03:  # withdrawn before anyone looked at it
            if (step := self.steps(sent_at + timedelta(hours=rng.randint(2, 30)))):
                with step:
                    journey.withdraw(case)
            return
        if fate < 0.10:  # returned for corrections, then sent again
            with (self.steps(moment) or _Stop()):
                material = journey.material_states(case)[0].material.key
                offered = reasons.offered(reasons.for_case(case), material)
                data = {"materials": [material], f"reason_{material}": "照片不清晰，请重新拍摄。",
                        "due": (moment.astimezone(BEIJING).date() + timedelta(days=14)).isoformat()}
                if offered:
                    data[f"reasons_{material}"] = [offered[0].key]
                case = self.command("return", case, clerk, **data)
            moment += timedelta(days=rng.randint(1, 6))
            with (self.steps(moment) or _Stop()):
                case, _replayed = journey.submit(case, declared=True,
                                                 expected_version=case.version)
            moment = self.working_after(moment, rng.choice((0, 1)))
        case, moment = self.video(case, clerk, moment)
        if fate > 0.97:  # rejected at the first look
            with (self.steps(moment) or _Stop()):
                self.command("reject", case, clerk, reason="申请人不符合办理条件：户籍不在本县。")
            return
        with (self.steps(moment) or _Stop()):
            case = self.command("accept", case, clerk)
        limit = max(case.spec.time_limit_days, 1)
        if defer:
            late = rng.random() < 0.25
            owed = case.deferred_due
            day = owed + timedelta(days=rng.randint(1, 5)) if late else (
                owed - timedelta(days=rng.randint(0, 4)))
            supply = max(self.at(day, 9, 21), moment + timedelta(hours=2))
            with (self.steps(supply) or _Stop()):
                for state in journey.owed_materials(case):
                    case, _upload = journey.add_file(case, state.material, self.photo,
                                                     "later.jpg")
            moment = max(moment, supply)
        if 0.18 <= fate < 0.33:  # passed to the department responsible
            with (self.steps(moment + timedelta(hours=1)) or _Stop()):
                case = self.command("transfer", case, clerk,
                                    department=case.item.department.key,
                                    note="请核实后出具结果。")
        taken = round(limit * rng.uniform(0.2, 0.95)) if rng.random() > 0.08 else (
            limit + rng.randint(1, 4))
        decided = self.working_after(moment, max(taken - 1, 0))
        with (self.steps(decided) or _Stop()):
            case = self.command("approve", case, clerk)
        result = self.working_after(decided, 1) if taken else decided + timedelta(hours=1)
        with (self.steps(result) or _Stop()):
            case = self.command("result", case, clerk, note=f"证件已办结，编号 {rng.randrange(10**8)}")
        delivered = self.working_after(result, rng.randint(1, 4))
        method = case.default_delivery
        with (self.steps(delivered) or _Stop()):
            case = self.command("deliver", case, clerk, method=method,
                                tracking=f"SF{rng.randrange(10**11, 10**12)}")
        self.counts["delivered"] += 1
        if rng.random() < 0.85:
            rated = delivered + timedelta(hours=rng.randint(2, 96))
            with (self.steps(rated) or _Stop()):
                self.rate(case, rated)
        closed = self.working_after(delivered, rng.randint(3, 8))
        with (self.steps(closed) or _Stop()):
            self.command("close", case, clerk)

    def rate(self, case, moment) -> None:
        from .ratings import service
        rng = self.rng
        level = rng.choices((5, 4, 3, 2, 1), (68, 21, 7, 2.8, 1.2))[0]
        visits = rng.choices((0, 1, 2, 3), (88, 8, 3, 1))[0]
        aspects = {}
        for aspect in ("speed", "service", "website"):
            if rng.random() < 0.6:
                aspects[aspect] = max(1, min(5, level + rng.choice((-1, 0, 0, 0, 1))))
        comment = COMMENTS.get(level, {}).get(case.locale, "") if rng.random() < 0.5 else ""
        if level in (1, 2) and not comment:
            comment = COMMENTS[level].get(case.locale, "")
        answers = service.Answers(level=level, visits=visits,
                                  guide=rng.choices(("yes", "partly", "no"), (85, 12, 3))[0],
                                  comment=comment, **aspects)
        rating = service.rate(case, "delivered", answers, locale=case.locale)
        self.counts["ratings"] += 1
        if rating.is_bad:
            self.bad.append((moment, rating))

    # -- Follow-ups ---------------------------------------------------------------------

    def follow_ups(self) -> None:
        """Each bad rating followed up; the latest left open; one appeal upheld, one
        dismissed."""
        from .models import FollowUp
        from .ratings import service
        rng = self.rng
        self.bad.sort(key=lambda pair: pair[0])
        appealed = set()
        for number, (moment, rating) in enumerate(self.bad):
            follow_up = service.open_follow_up(rating)
            if follow_up is None:
                continue
            self.counts["follow_ups"] += 1
            case = rating.case
            county = case.item.department.jurisdiction_id
            holder = self.supervisor(rating.office_id, county)
            if holder is None:
                continue
            steps = []
            when = self.working_after(moment, 1)
            steps.append((when, lambda f: service.verify(
                f, holder, holds=number % 4 != 1, note="已调取办件记录核实。")))
            when = self.working_after(when, rng.randint(1, 3))
            steps.append((when, lambda f: service.record_visit(
                f, holder, channel=rng.choice(("call", "message")), lang=case.locale,
                note="已电话回访申请人，说明了原因。")))
            appeal = next((outcome for outcome in ("upheld", "dismissed")
                           if outcome not in appealed), None) if number % 2 else None
            if appeal:  # appealed: one upheld, one dismissed
                judge = self.supervisor(rating.office_id, county, other_than=(holder.id,))
                if judge is not None:
                    appealed.add(appeal)
                    steps.append((when + timedelta(hours=1), lambda f: service.appeal(
                        f, holder, "申请人所述情况与办件记录不符。")))
                    steps.append((self.working_after(when, 2), lambda f, up=appeal == "upheld":
                                  service.decide_appeal(f, judge, up, "经复核作出决定。")))
            when = self.working_after(when, rng.randint(1, 8))
            steps.append((when, lambda f: service.reply(
                f, holder, "您好，我们已核实并改进了办理流程，感谢您的反馈。", case.locale)))
            steps.append((self.working_after(when, rng.randint(0, 3)),
                          lambda f: service.close(f, holder, "")))
            for at, step in steps:
                if at >= self.end:
                    break
                follow_up = FollowUp.get_by_id(follow_up.id)
                if follow_up.status == "closed":
                    break
                with clock_at(at, frozen=True):
                    try:
                        step(follow_up)
                    except service.Refused:
                        break


class _Stop:
    """A step still to come: the case's story stops here (it is in hand now)."""

    def __enter__(self):
        raise _Later()

    def __exit__(self, *exc):
        return False


class _Later(Exception):
    pass


def load_history(size: int = DEFAULT_SIZE, seed: int = SEED) -> dict:
    """Make the demo history once (a second run adds nothing); returns what was made."""
    from .cases import lifecycle
    from .models import Case, Event, db
    if Case.select().where(Case.demo == True).exists():  # noqa: E712
        return {"cases": 0, "existing": Case.select().where(Case.demo == True).count()}  # noqa: E712
    history = _History(size, seed, clock_now())
    history.prepare()
    for index in range(size):
        with db.atomic():
            try:
                history.one(index)
            except _Later:
                pass
    history.follow_ups()
    # The demo's emails: nobody is to receive them (the applicants gave no address; the
    # staff did the work long ago). Marked done, unsent.
    pending = (Event.select().join(Case).where((Case.demo == True)  # noqa: E712
                                              & (Event.outbox_state == "pending")))
    for event in pending:
        lifecycle.delivery_done(event)
    return history.counts
