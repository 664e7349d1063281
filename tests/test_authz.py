"""Every route enforces who may use it, in the decorator that declares it.

The Notify ``test_permissions`` idea, one step further: a rule counts only if
the view is wrapped by :func:`app.authz.guard` (a label cannot be claimed
without the check that applies it), and the behavioural tests below and in
``tests/review/test_access_matrix.py`` knock on every door.
"""

import base64

from app.authz import GUARD_CODE, RULES, declared_access

#: Routes that need no session at all. A new public route must be added here on purpose.
PUBLIC = {
    "core.root", "core.home", "core.healthz", "assets.serve", "core.staff_in",
    "catalog.index", "catalog.guide", "catalog.blank_document",
    # A preference cookie for the browser that posts it (no case, no account).
    "catalog.choose_hometown",
    "cases.start", "cases.access_link", "cases.find", "cases.agent_find",
    "documents.verify",
    # Sign-in steps handle a missing or half-finished session themselves.
    "auth.login", "auth.verify", "auth.enrol", "auth.logout", "auth.language",
    "uploads.options",
    # Overseas service points; the emailed appointment link (its token is the check).
    "points.directory", "cases.appointment", "cases.appointment_cancel",
    # The FAQ; "did this answer your question?" counts once per browser and address a day,
    # and a post another site made is refused (its Origin or Sec-Fetch-Site).
    "faq.index", "faq.entry", "faq.helpful", "faq.thanks",
    # Asking a question; an answer suggested before sending (counted as opened); the
    # private link and the find page of a question (the token or the code is the check).
    "questions.ask", "questions.suggested", "questions.open_link", "questions.find",
    # The emailed link to rate a case (its token is the check).
    "ratings.access_link",
    # The public statistics and a CSV file of each of their tables (figures only).
    "statistics.page", "statistics.table_csv",
}


def test_every_route_is_guarded_by_the_rule_it_declares(app):
    unguarded = [rule.rule for rule in app.url_map.iter_rules()
                 if declared_access(app.view_functions[rule.endpoint]) is None]
    assert not unguarded, f"routes without an enforced access rule: {unguarded}"
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        assert view.__code__ is GUARD_CODE
        assert declared_access(view) in RULES


def test_a_label_without_the_guard_does_not_count():
    def view():
        return "open"
    view.__authz__ = "staff"
    assert declared_access(view) is None


def test_public_routes_are_exactly_the_listed_ones(app):
    public = {rule.endpoint for rule in app.url_map.iter_rules()
              if declared_access(app.view_functions[rule.endpoint]) == "public"}
    assert public == PUBLIC


def _tus_headers(reference):
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}"
                    for k, v in (("case", reference), ("material", "passport_page")))
    return {"Tus-Resumable": "1.0.0", "Upload-Length": "10", "Upload-Metadata": meta,
            "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}


def test_applicant_routes_refuse_a_browser_without_the_case(app, client):
    """Each applicant route answers 404 to a visitor who does not hold the case."""
    from tests.conftest import Journey
    owner = Journey(app.test_client())
    owner.start()
    values = {"lang": "en", "reference": owner.reference, "step_key": "applicant",
              "key": "passport_page", "upload_id": 1, "doc_type": "form", "file_id": 1,
              "stage": "delivered"}
    app.config["WTF_CSRF_ENABLED"] = False
    checked = 0
    try:
        for rule in app.url_map.iter_rules():
            if declared_access(app.view_functions[rule.endpoint]) != "applicant":
                continue
            url = rule.build(values)[1]
            headers = _tus_headers(owner.reference) if rule.endpoint.startswith("uploads.") else {}
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(url, method=method, headers=headers)
                assert response.status_code == 404, (method, url, response.status_code)
                checked += 1
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert checked >= 15


def test_agent_routes_refuse_a_browser_without_the_agent_code(app, client):
    """The agent's pages answer 404 unless this browser opened the case with the agent code,
    even for the applicant's own browser."""
    from tests.conftest import Journey
    owner = Journey(app.test_client())
    owner.start()
    checked = 0
    for rule in app.url_map.iter_rules():
        if declared_access(app.view_functions[rule.endpoint]) != "agent":
            continue
        url = rule.build({"lang": "en", "reference": owner.reference})[1]
        for browser in (client, owner.client):
            assert browser.get(url).status_code == 404, url
            checked += 1
    assert checked >= 1
