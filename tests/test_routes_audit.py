"""Every route declares who may use it (the Notify ``test_permissions`` idea)."""

from app.security import ACCESS_RULES, declared_access

#: Routes that need no session at all. A new public route must be added here on purpose.
PUBLIC = {
    "core.root", "core.home", "core.healthz", "assets.serve",
    "catalog.index", "catalog.guide",
    "cases.start", "cases.access_link", "cases.find",
    "documents.blank_document", "documents.verify",
    # Sign-in steps handle a missing or half-finished session themselves.
    "auth.login", "auth.verify", "auth.enrol", "auth.logout", "auth.language",
    "tus.options",
    # Overseas service points; the emailed appointment link; the agent's sign-in with code.
    "points.directory", "video.manage", "video.manage_cancel", "agent.find",
}


def test_every_route_declares_its_access_rule(app):
    undeclared, unknown = [], []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        declared = declared_access(view)
        if declared is None:
            undeclared.append(rule.rule)
        elif declared not in ACCESS_RULES:
            unknown.append((rule.rule, declared))
    assert not undeclared, f"routes without an access rule: {undeclared}"
    assert not unknown


def test_public_routes_are_exactly_the_listed_ones(app):
    public = {rule.endpoint for rule in app.url_map.iter_rules()
              if declared_access(app.view_functions[rule.endpoint]) == "public"}
    assert public == PUBLIC


def test_applicant_routes_refuse_a_browser_without_the_case(app, client):
    """Each applicant route answers 404 to a visitor who does not hold the case."""
    from tests.conftest import Journey
    owner = Journey(app.test_client())
    owner.start()
    checked = 0
    for rule in app.url_map.iter_rules():
        if declared_access(app.view_functions[rule.endpoint]) != "applicant":
            continue
        values = {"lang": "en", "reference": owner.reference, "step_key": "applicant",
                  "key": "passport_page", "upload_id": 1, "doc_type": "form"}
        url = rule.build(values)[1] if hasattr(rule, "build") else None
        headers = {}
        if rule.endpoint.startswith("tus."):
            import base64
            meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}"
                            for k, v in (("case", owner.reference), ("material", "passport_page")))
            headers = {"Tus-Resumable": "1.0.0", "Upload-Length": "10", "Upload-Metadata": meta,
                       "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            app.config["WTF_CSRF_ENABLED"] = False
            response = client.open(url, method=method, headers=headers)
            assert response.status_code == 404, (method, url, response.status_code)
            checked += 1
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
    assert checked >= 2
