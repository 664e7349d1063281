"""What the server benchmarks share: percentiles, timing one URL through the test client,
following "Next page" links, and the SQL of the slowest request with its query plan."""

import html
import logging
import re
import statistics
import time

WARMUP = 3
RUNS = 40


def percentile(values, q):
    """The ``q`` percentile (0–100) by linear interpolation between ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class SQLCapture(logging.Handler):
    """Collects the (sql, params) peewee logs while switched on."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.queries = []
        self.on = False

    def emit(self, record):
        if self.on and isinstance(record.msg, tuple):
            self.queries.append(record.msg)


def measure(client, url, headers=None):
    """(timings in ms, rows on the last page, last HTML)."""
    timings = []
    body = ""
    for n in range(WARMUP + RUNS):
        started = time.perf_counter()
        response = client.get(url, headers=headers or {})
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        body = response.get_data(as_text=True)
        if n >= WARMUP:
            timings.append(elapsed)
    return timings, len(re.findall(r"<tr class=", body)), body


def next_link(body):
    """The href of the "Next page" link, or None."""
    match = re.search(r'<a href="([^"]+)" rel="next">', body)
    return html.unescape(match.group(1)) if match else None


def explain(app, client, url, headers=None):
    """Each SELECT of one request: its time (median of 20) and EXPLAIN QUERY PLAN."""
    from app.models import db
    capture = SQLCapture()
    peewee_log = logging.getLogger("peewee")
    peewee_log.addHandler(capture)
    old_level = peewee_log.level
    old_propagate = peewee_log.propagate
    peewee_log.setLevel(logging.DEBUG)
    peewee_log.propagate = False
    capture.on = True
    try:
        client.get(url, headers=headers or {})
    finally:
        capture.on = False
        peewee_log.removeHandler(capture)
        peewee_log.setLevel(old_level)
        peewee_log.propagate = old_propagate
    report = []
    with app.app_context(), db.connection_context():
        for sql, params in capture.queries:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            times = []
            for _ in range(20):
                started = time.perf_counter()
                db.execute_sql(sql, params).fetchall()
                times.append((time.perf_counter() - started) * 1000)
            plan = [row[-1] for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]
            report.append((statistics.median(times), sql, params, plan))
    return report
