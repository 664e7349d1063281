"""Clerk queue speed with 100,000 cases.

Builds a sandbox app (its own SQLite file in a temporary directory, the real
catalog loaded), then fills the database directly, without the applicant
journey: 5 offices (the catalog's 2 and 3 more), 20 active items (the
catalog's 14 and 6 copies under new codes) and 100,000 cases spread over them
with a realistic status mix (about 10 % drafts without an office, 8 % submitted,
4 % returned, 15 % accepted, 5 % transferred, 5 % approved, 3 % result ready,
3 % delivered, 40 % closed, 5 % rejected, 2 % withdrawn), submission and queue
times over the last two years (open cases weighted towards recent weeks), time
limits from acceptance on (some overdue, some due soon), deferred materials
(容缺) owed by some accepted cases, and applicant names such as "林美 LIN Mei".
The rows are written in chunks of 5,000 inside one transaction (the statement
from ``Case.insert_many``, sent with ``executemany``); the time the fill took goes to stderr.

A clerk of the busiest office then signs in (password and TOTP) through the
test client, and every measured request goes through the whole app in this
process (``app.test_client()``: session check, queue and count queries,
template rendering; no network, no compression):

- ``default``: ``GET /staff/queue``, the full HTML page a clerk opens;
- filters: several combinations (status=all, text search by name, a search
  matching nobody, due=overdue, due=soon, deferred=1, sort=deadline, a
  department, and keyset next pages through the ``after=`` cursor of the
  first page's "Next page" link); the slowest by median is the "heaviest";
- ``partial``: the default page as the htmx fragment (``HX-Request: true``).

Each request kind is run 3 times to warm up, then 40 times measured. One line
per kind is printed:

    request=<name> p50_ms=X p95_ms=Y rows=<table rows on the page>

and last:

    queue: cases=100000 p50_ms=X p95_ms=Y

where X and Y are over the default page and the heaviest filter together.
Budget (DESIGN.md, "Budgets"): the clerk queue stays under 50 ms with 100,000
cases; the exit status is 1 when that p95 is over 50 ms. To stderr also go
the SQL statements of the slowest request, each with its own timing and
``EXPLAIN QUERY PLAN``, so a slow page says which query to fix.

Run: .venv/bin/python bench/queue.py
"""

import os
import sys
import tempfile

os.environ["ONEVISIT_HUEY_IMMEDIATE"] = "1"
_TMP = tempfile.mkdtemp(prefix="onevisit-bench-queue-")
os.environ.setdefault("ONEVISIT_INSTANCE_DIR", _TMP)

import random
import shutil
import statistics
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.timing import explain, measure, next_link, percentile  # noqa: E402

CASES = 100_000
CHUNK = 5000
BUDGET_MS = 50.0
SEED = 20240601

EXTRA_OFFICES = [
    ("prato-service-point", "普拉托侨胞服务点", "Prato service point for overseas Chinese"),
    ("madrid-service-point", "马德里侨胞服务点", "Madrid service point for overseas Chinese"),
    ("paris-service-point", "巴黎侨胞服务点", "Paris service point for overseas Chinese"),
]
# Share of submitted cases per office, busiest first (the catalog's police window).
OFFICE_WEIGHTS = (0.38, 0.22, 0.16, 0.14, 0.10)
BUSIEST = "police-global-window"
DEPARTMENT = "psb-household"

STATUS_MIX = [("draft", 10), ("submitted", 8), ("returned", 4), ("accepted", 15),
              ("transferred", 5), ("approved", 5), ("result_ready", 3), ("delivered", 3),
              ("closed", 40), ("rejected", 5), ("withdrawn", 2)]
OPEN = {"submitted", "returned", "accepted", "transferred", "approved", "result_ready",
        "delivered"}
ACCEPTED_PLUS = {"accepted", "transferred", "approved", "result_ready", "delivered", "closed"}

SURNAMES = [("林", "LIN"), ("陈", "CHEN"), ("胡", "HU"), ("周", "ZHOU"), ("王", "WANG"),
            ("潘", "PAN"), ("郑", "ZHENG"), ("吴", "WU"), ("黄", "HUANG"), ("叶", "YE"),
            ("赵", "ZHAO"), ("朱", "ZHU")]
GIVEN = [("美", "Mei"), ("建国", "Jianguo"), ("丽华", "Lihua"), ("伟", "Wei"),
         ("小红", "Xiaohong"), ("志强", "Zhiqiang"), ("海燕", "Haiyan"), ("秀英", "Xiuying"),
         ("晓东", "Xiaodong"), ("静", "Jing"), ("国平", "Guoping"), ("雪梅", "Xuemei")]
PLACES = [("IT", "Prato", "Europe/Rome", "it"), ("IT", "Milano", "Europe/Rome", "it"),
          ("ES", "Madrid", "Europe/Madrid", "es"), ("FR", "Paris", "Europe/Paris", "fr"),
          ("NL", "Amsterdam", "Europe/Amsterdam", "en"), ("US", "New York", "America/New_York", "en"),
          ("DE", "Frankfurt", "Europe/Berlin", "en"), ("CN", "Wenzhou", "Asia/Shanghai", "zh")]


def applicant_name(rng):
    """A name as applicants write it: Chinese, then pinyin; sometimes one of the two."""
    (zh_s, py_s), (zh_g, py_g) = rng.choice(SURNAMES), rng.choice(GIVEN)
    roll = rng.random()
    if roll < 0.80:
        return f"{zh_s}{zh_g} {py_s} {py_g}"
    if roll < 0.90:
        return f"{py_s} {py_g}"
    if roll < 0.97:
        return f"{zh_s}{zh_g}"
    return f"{py_s.title()} {py_g} {zh_s}{zh_g}"


def setup_catalog(app):
    """Wencheng with 3 more offices and 6 more items (copies of real ones); return ids for
    the fill. The cases are Wencheng's: the other counties' items are left out."""
    from app.catalog.loader import read_catalog, upsert_item
    from app.models import Category, Department, Item, Jurisdiction, Office, db
    with app.app_context(), db.connection_context(), db.atomic():
        wencheng = Jurisdiction.get(Jurisdiction.key == "wencheng")
        for n, (key, zh, en) in enumerate(EXTRA_OFFICES, start=10):
            Office.create(key=key, names={"zh": zh, "en": en}, sort=n, jurisdiction=wencheng)
        dept_ids = {d.key: d.id for d in Department.select()}
        cat_ids = {c.key: c.id for c in Category.select()}
        local = {d.key for d in Department.select().where(Department.jurisdiction == wencheng)}
        raw_items = [i for i in read_catalog(app.config["CATALOG_DIR"])["items"]
                     if i["department"] in local and i["kind"] != "other-matter"]
        for n, raw in enumerate(raw_items[:6]):
            copy = dict(raw, code=f"BX-{raw['code'][:2]}-{900 + n}", parent=None,
                        sort=100 + n,
                        names={k: f"{v} ({n + 2})" for k, v in raw["names"].items()})
            upsert_item(copy, dept_ids, cat_ids)
        items = [(i.id, i.version, i.time_limit_days, i.department_id)
                 for i in Item.select().join(Department).where(
                     (Item.active == True) & (Department.jurisdiction == wencheng)  # noqa: E712
                     & (Item.kind != "other-matter"))]
        offices = [o.id for o in Office.select().where(Office.jurisdiction == wencheng)
                   .order_by((Office.key != BUSIEST), Office.sort, Office.id)]
        assert len(items) == 26, f"expected 26 active items of Wencheng, found {len(items)}"
        assert len(offices) == 5, f"expected 5 offices, found {len(offices)}"
        departments = {d.key: d.id for d in Department.select()}
    return items, offices, departments


def fill(app, items, offices):
    """Insert CASES cases in chunks inside one transaction."""
    from app.cases.reference import new_reference
    from app.clock import beijing_today, utcnow
    from app.models import Case, Staff, db

    rng = random.Random(SEED)
    now = utcnow().replace(microsecond=0)
    today = beijing_today()
    statuses = [s for s, _w in STATUS_MIX]
    weights = [w for _s, w in STATUS_MIX]
    references = set()
    fields = [Case.reference, Case.item, Case.item_version, Case.status, Case.locale,
              Case.contact_email, Case.contact_phone, Case.country, Case.city, Case.timezone,
              Case.answers, Case.deferred, Case.access_token_hash,
              Case.access_token_expires, Case.access_code_hash, Case.start_key, Case.version,
              Case.created_at, Case.updated_at, Case.submitted_at, Case.office_id,
              Case.assigned_to_id, Case.transferred_to_id, Case.queued_at, Case.accepted_at,
              Case.due_date, Case.deferred_due, Case.supplement, Case.result, Case.delivery,
              Case.applicant_name]
    rows = []

    def insert(chunk):
        # Case.insert_many writes the statement and db_value converts each value, as
        # peewee would; one executemany per chunk instead of a 32-column VALUES list
        # per row keeps the fill about 4× faster than .execute() on the same rows.
        sql, _params = Case.insert_many(chunk[:1], fields=fields).sql()
        converters = [f.db_value for f in fields]
        db.cursor().executemany(sql, [[c(v) for c, v in zip(converters, row)]
                                      for row in chunk])

    with app.app_context(), db.connection_context(), db.atomic():
        # Clerks to assign cases to (the case's assigned_to is a foreign key).
        Staff.insert_many([{"email": f"bench{n}@example.org", "name": f"Clerk {n}",
                            "role": "clerk", "password_hash": "-", "created_at": now}
                           for n in range(40)]).execute()
        clerks = [s.id for s in Staff.select(Staff.id).where(Staff.email.startswith("bench"))]
        for n in range(CASES):
            while True:
                reference = new_reference()
                if reference not in references:
                    references.add(reference)
                    break
            item_id, item_version, limit_days, department_id = rng.choice(items)
            status = rng.choices(statuses, weights)[0]
            country, city, tz, locale = rng.choice(PLACES)
            # Open cases are mostly recent; finished ones anywhere in two years.
            if status in OPEN and rng.random() < 0.6:
                age = timedelta(seconds=rng.randrange(0, 60 * 86400))
            else:
                age = timedelta(seconds=rng.randrange(0, 730 * 86400))
            created = now - age - timedelta(hours=rng.randrange(1, 72))
            submitted = queued = accepted = due = deferred_due = None
            office = assigned = transferred = supplement = result = delivery = None
            deferred = []
            if status != "draft":
                submitted = now - age
                queued = submitted
                office = rng.choices(offices, OFFICE_WEIGHTS)[0]
            if status == "returned":
                supplement = {"items": [{"material": "passport_page", "reason": "blurred"}],
                              "note": "", "due": (today + timedelta(days=10)).isoformat()}
            if status in ACCEPTED_PLUS or (status == "rejected" and rng.random() < 0.5):
                accepted = submitted + timedelta(hours=rng.randrange(2, 96))
                if accepted > now:
                    accepted = now
                queued = accepted
                # Working days become calendar days at roughly 7/5, holidays aside.
                due = accepted.date() + timedelta(days=limit_days * 7 // 5 + rng.randrange(0, 3))
                assigned = rng.choice(clerks)
                if status in ("accepted", "transferred", "approved") and rng.random() < 0.25:
                    deferred = ["medical_certificate"]
                    deferred_due = accepted.date() + timedelta(days=rng.randrange(15, 60))
            if status in ("transferred", "approved", "result_ready", "delivered", "closed"):
                transferred = department_id
                later = queued + timedelta(hours=rng.randrange(1, 240))
                queued = min(later, now)
            if status in ("result_ready", "delivered", "closed"):
                result = {"note": "办结"}
            if status in ("delivered", "closed"):
                delivery = {"method": "courier", "tracking": f"SF{n:010d}"}
            token = f"{n:064x}"
            rows.append((
                reference, item_id, item_version, status, locale,
                f"applicant{n}@example.org", "+39 312 345 6789", country, city, tz,
                {}, deferred, token,
                now + timedelta(days=90), "0" * 64, f"bench-start-{n:010d}", 1,
                created, queued or created, submitted, office,
                assigned, transferred, queued, accepted,
                due, deferred_due, supplement, result, delivery,
                applicant_name(rng) if status != "draft" or rng.random() < 0.5 else "",
            ))
            if len(rows) == CHUNK:
                insert(rows)
                rows.clear()
        if rows:
            insert(rows)


def main() -> int:
    from app.models import db
    from app.sandbox import create_sandbox_app
    from tests.conftest import make_staff, sign_in

    app = create_sandbox_app(_TMP)
    started = time.perf_counter()
    items, offices, departments = setup_catalog(app)
    fill(app, items, offices)
    fill_seconds = time.perf_counter() - started
    print(f"fill: cases={CASES} seconds={fill_seconds:.1f}", file=sys.stderr)

    make_staff(app, "bench.clerk@test", "clerk", office=BUSIEST)
    client = sign_in(app, "bench.clerk@test")

    with app.app_context(), db.connection_context():
        visible = db.execute_sql(
            "SELECT count(*) FROM \"case\" WHERE office_id = ? AND status != 'draft'",
            (offices[0],)).fetchone()[0]
    print(f"clerk office: {BUSIEST} visible_cases={visible}", file=sys.stderr)

    # What the nightly maintenance job does (statistics for the query planner).
    from app.models.migrations import refresh_statistics
    with app.app_context(), db.connection_context():
        refresh_statistics()

    results = {}

    def run(name, url, headers=None):
        timings, rows, body = measure(client, url, headers)
        results[name] = (url, headers, timings, rows)
        print(f"request={name} p50_ms={statistics.median(timings):.2f} "
              f"p95_ms={percentile(timings, 95):.2f} rows={rows}", flush=True)
        return body

    default_body = run("default", "/staff/queue")
    # A department of the busiest office: 5 real items and 5 of the copies.
    department = DEPARTMENT if DEPARTMENT in departments else next(iter(departments))
    filters = {
        "status_all": "/staff/queue?status=all",
        "search_name": "/staff/queue?status=all&q=LIN",
        "search_nomatch": "/staff/queue?status=all&q=NOBODY",
        "search_name_todo": "/staff/queue?q=LIN%20Mei",
        "overdue": "/staff/queue?due=overdue",
        "overdue_deadline": "/staff/queue?status=all&due=overdue&sort=deadline",
        "soon": "/staff/queue?due=soon&sort=deadline",
        "deferred": "/staff/queue?deferred=1",
        "sort_deadline": "/staff/queue?sort=deadline",
        "all_deadline": "/staff/queue?status=all&sort=deadline",
        "department_all": f"/staff/queue?status=all&department={department}",
        "combined": (f"/staff/queue?status=all&q=LIN&sort=deadline&department={department}"
                     "&deferred=1"),
        "combined_overdue": (f"/staff/queue?status=all&q=LIN&due=overdue&sort=deadline"
                             f"&department={department}"),
        "closed_search": "/staff/queue?status=closed&q=HU",
        "mine_open": "/staff/queue?holder=mine&status=open",
        "nobody": "/staff/queue?holder=nobody",
    }
    bodies = {name: run(name, url) for name, url in filters.items()}
    pages = {"next_page": next_link(default_body),
             "next_page_all_deadline": next_link(bodies["all_deadline"]),
             "next_page_search": next_link(bodies["search_name"])}
    filter_names = list(filters)
    for name, url in pages.items():
        if url:
            run(name, url)
            filter_names.append(name)
        else:
            print(f"{name}: no next page link", file=sys.stderr)
    run("partial", "/staff/queue", {"HX-Request": "true"})

    heaviest = max(filter_names, key=lambda n: statistics.median(results[n][2]))
    combined = results["default"][2] + results[heaviest][2]
    p50, p95 = statistics.median(combined), percentile(combined, 95)

    slowest = max(results, key=lambda n: statistics.median(results[n][2]))
    url, headers, _timings, _rows = results[slowest]
    print(f"heaviest filter: {heaviest} {results[heaviest][0]}", file=sys.stderr)
    print(f"slowest request: {slowest} {url}; its SELECTs:", file=sys.stderr)
    for ms, sql, params, plan in explain(app, client, url, headers):
        print(f"  {ms:.2f} ms  {sql}  {params}", file=sys.stderr)
        for line in plan:
            print(f"      PLAN {line}", file=sys.stderr)

    print(f"queue: cases={CASES} p50_ms={p50:.2f} p95_ms={p95:.2f}", flush=True)
    return 1 if p95 > BUDGET_MS else 0


if __name__ == "__main__":
    try:
        status = main()
    finally:
        shutil.rmtree(_TMP, ignore_errors=True)
    sys.exit(status)
