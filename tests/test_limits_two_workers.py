"""Limits that guard a secret hold across workers (issue 14, finding 2): on the README's
run command (gunicorn, two worker processes, SQLite) ten tries of a code in total, not
ten per worker. Tries per address count in the rate-limit storage every worker shares
(the database here, Redis when configured); tries per reference count in the database
whoever tries."""

import requests

from .conftest import Journey
from .pages import Page
from .topology import Browser, OneHost


def tries(base, path, reference, count, address=None):
    """POST ``count`` wrong codes for ``reference`` (each from a new connection, so both
    workers take some); the statuses."""
    statuses = []
    for number in range(count):
        session = requests.Session()
        page = Page(_get(session, base + path))
        headers = {"X-Forwarded-For": address(number)} if address else {}
        typed = reference(number) if callable(reference) else reference
        answer = session.post(base + path, data={"csrf_token": page.csrf(),
                                                 "reference": typed, "code": "AAAA-AAAA"},
                              headers=headers, allow_redirects=False, timeout=30)
        statuses.append(answer.status_code)
        session.close()
    return statuses


def _get(session, url):
    from .topology import Response
    return Response(session.get(url, timeout=30))


def test_code_tries_count_across_two_workers(tmp_path):
    host = OneHost(tmp_path, TRUSTED_PROXIES=1).start()
    try:
        journey = Journey(Browser(host.url))
        assert journey.start().status == 303
        reference = journey.reference
        workers = set()

        # One address: ten wrong access codes, then 429, whichever worker answers.
        statuses = tries(host.url, "/en/cases/find", reference, 12,
                         address=lambda n: "203.0.113.7")
        assert statuses == [422] * 10 + [429] * 2, statuses
        # The agent's code on another reference's page: the same, counted on its own.
        statuses = tries(host.url, "/en/agent", reference, 12,
                         address=lambda n: "203.0.113.8")
        assert statuses == [422] * 10 + [429] * 2, statuses

        # Many addresses, one reference spelled many ways: the reference's own count
        # stops them at ten.
        other = Journey(Browser(host.url))
        assert other.start().status == 303
        digits = other.reference.removeprefix("OV-")
        spellings = [other.reference, other.reference.lower(), digits, digits.replace("-", ""),
                     digits.replace("-", "."), "ov " + digits.replace("-", " "),
                     "OV" + digits.replace("-", "/"), digits.replace("-", "_")]
        statuses = tries(host.url, "/en/cases/find", lambda n: spellings[n % len(spellings)],
                         12, address=lambda n: f"198.51.100.{n + 1}")
        assert statuses == [422] * 10 + [429] * 2, statuses

        with open(host.log, "rb") as log:
            for line in log:
                if b"Booting worker with pid" in line:
                    workers.add(line.rsplit(b" ", 1)[-1])
        assert len(workers) == 2, "two worker processes served"
    finally:
        host.stop()
