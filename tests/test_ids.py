"""Numbers in URLs and cursors beyond what the database holds: 404 or ignored, never a 500.

``/faq/99999999999999999999`` used to reach SQLite, whose driver cannot bind an integer
beyond 64 bits (OverflowError: a 500). The app's ``<int:…>`` converter is bounded
(app/ids.py), so every such rule, old or added later, answers 404 for it.
"""

import pytest
from werkzeug.exceptions import NotFound
from werkzeug.routing.converters import IntegerConverter

from app import create_app
from app.ids import MAX_ID, read_id
from tests.conftest import sign_in
from tests.questions.conftest import ask

HUGE = "99999999999999999999"


def _int_rules():
    """``(rule, method)`` for every rule with an integer part, read from a bare app."""
    bare = create_app({"SECRET_KEY": "ids", "TESTING": True,
                       "DATABASE_URL": "sqlite:///:memory:"})
    found = []
    for rule in bare.url_map.iter_rules():
        if any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            found += [(rule.rule, method) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


INT_RULES = _int_rules()


def _path(rule: str, number: str, reference: str) -> str:
    """The rule with every part filled: ``number`` for the integers."""
    path = rule.replace("<lang:lang>", "en").replace("<reference>", reference)
    for part in ("key",):
        path = path.replace(f"<{part}>", "x")
    while "<int:" in path:
        start = path.index("<int:")
        path = path[:start] + number + path[path.index(">", start) + 1:]
    assert "<" not in path, path
    return path


def test_the_rules_are_found():
    assert len(INT_RULES) >= 18  # faq, admin, files, accounts, points, reasons…


@pytest.mark.parametrize("rule,method", INT_RULES, ids=[f"{m} {r}" for r, m in INT_RULES])
def test_a_huge_number_in_the_url_is_not_found(staff_app, rule, method):
    reference = ask(staff_app)
    path = _path(rule, HUGE, reference)
    adapter = staff_app.url_map.bind("localhost")
    with pytest.raises(NotFound):
        adapter.match(path, method=method)
    # Signed in with the widest rights of the window, and signed out: 404 either way.
    for client in (sign_in(staff_app, "supervisor@test"), staff_app.test_client()):
        response = client.open(path, method=method)
        assert response.status_code == 404, (method, path, response.status_code)


@pytest.mark.parametrize("rule,method", INT_RULES, ids=[f"{m} {r}" for r, m in INT_RULES])
def test_the_largest_id_still_matches(staff_app, rule, method):
    """The bound is the column's: 2**63-1 is routed (and then simply not found)."""
    _endpoint, values = staff_app.url_map.bind("localhost").match(
        _path(rule, str(MAX_ID), "Q"), method=method)
    assert MAX_ID in values.values()


def test_read_id():
    assert read_id("42") == 42 and read_id(str(MAX_ID)) == MAX_ID
    for bad in (HUGE, str(-MAX_ID - 2), "x", ""):
        with pytest.raises(ValueError):
            read_id(bad)
    with pytest.raises(TypeError):
        read_id(None)


@pytest.mark.parametrize("query", [
    f"tab=closed&after={HUGE}", "tab=closed&after=-" + HUGE,
    f"after=2024-05-01T08:00:00|{HUGE}", f"tab=waiting&after=2024-05-01T08:00:00|{HUGE}"])
def test_a_huge_question_queue_cursor_is_ignored(staff_app, query):
    ask(staff_app)
    page = sign_in(staff_app, "clerk@test").get(f"/staff/questions?{query}")
    assert page.status_code == 200


@pytest.mark.parametrize("query", [f"after=2024-05-01T08:00:00|{HUGE}",
                                   f"sort=deadline&after=2024-05-01|{HUGE}"])
def test_a_huge_case_queue_cursor_is_ignored(staff_app, query):
    page = sign_in(staff_app, "clerk@test").get(f"/staff/queue?{query}")
    assert page.status_code == 200
