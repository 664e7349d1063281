"""Messages and defaults about the result follow the case's state and the applicant's
choices (issue 15, part 15): ready with a pickup code is not collected; a case without a
relative entrusted to collect never offers or defaults to collection by one; a receipt says
what the case is now (received, accepted, or ended without an acceptance)."""

import subprocess
from datetime import datetime

from app.cases.notify import messages
from app.models import Case, Event, db
from tests.conftest import (agent_form, case_of, confirm_video, decide, refuse, sign_in, smtp,
                            submitted_case)


def bodies(collector):
    return [(m["Subject"], m.get_body(("plain",)).get_content()) for _to, m in collector.messages]


def pdf_text(data: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


def _to_result(app, journey, clerk, agent=False):
    confirm_video(app, journey.reference, agent=agent)
    for action, data in (("accept", {}), ("approve", {}), ("result", {"note": "Licence printed"})):
        decide(clerk, journey.reference, action, **data)


def _deliver_form(clerk, reference):
    page = clerk.page(f"/staff/cases/{reference}")
    select = page.one("#d-deliver select[name=method]")
    offered = [o["value"] for o in select.select("option")]
    chosen = [o["value"] for o in select.select("option[selected]")]
    return offered, chosen


def test_the_agents_collection_is_told_as_collected_not_as_a_code_to_use(staff_app, smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app, entrust=True, defer=False)
    clerk = sign_in(staff_app, "clerk@test")
    code = confirm_video(staff_app, journey.reference)
    for action, data in (("accept", {}), ("approve", {}), ("result", {"note": "Licence printed"})):
        decide(clerk, journey.reference, action, **data)
    pickup = case_of(staff_app, journey.reference).result["pickup_code"]
    # Ready: the applicant hears the relative can collect it with the code.
    assert f"can collect it at the window with this pickup code: {pickup}" in bodies(collector)[-1][1]
    # The applicant entrusted their relative to collect: the form starts there.
    offered, chosen = _deliver_form(clerk, journey.reference)
    assert offered == ["courier", "agent_pickup"] and chosen == ["agent_pickup"]

    decide(clerk, journey.reference, "deliver", method="agent_pickup", pickup_code=pickup)
    subject, body = bodies(collector)[-1]
    assert subject == f"The result of your application {journey.reference} was collected"
    assert "Your entrusted relative 林建国 collected the result at the window on " in body
    assert "(Italy Time)" in body  # when, in the applicant's time zone
    for stale in ("on its way", "can collect", pickup):
        assert stale not in subject + body, stale

    # The agent's page says it was collected, with no code left to show.
    agent = staff_app.test_client()
    agent.submit("/en/agent", {"reference": journey.reference, "code": code})
    page = agent.page(f"/en/agent/cases/{journey.reference}")
    told = page.one("#delivered").get_text(" ", strip=True)
    assert "You collected the result at the window on " in told
    assert pickup not in page.text and "Collect it at the window" not in page.text
    assert not page.select("p.big")
    # Nor does the applicant's status page show the used code.
    status = journey.client.page(f"/en/cases/{journey.reference}")
    assert pickup not in status.text


def test_without_a_relative_nothing_offers_or_defaults_to_collection_by_one(staff_app,
                                                                          smtp_server):
    collector = smtp(staff_app, smtp_server)
    journey = submitted_case(staff_app, defer=False)
    clerk = sign_in(staff_app, "clerk@test")
    _to_result(staff_app, journey, clerk)
    assert "pickup_code" not in case_of(staff_app, journey.reference).result
    assert "pickup code" not in bodies(collector)[-1][1]
    offered, chosen = _deliver_form(clerk, journey.reference)
    assert offered == ["courier"] and chosen == ["courier"]
    refused = refuse(clerk, journey.reference, "deliver", method="agent_pickup")
    assert refused.one("#e-deliver-method").text == (
        "Error: Choose a delivery method this service offers.")
    assert case_of(staff_app, journey.reference).status == "result_ready"
    # The courier's email keeps saying it is on its way, with the tracking number.
    decide(clerk, journey.reference, "deliver", method="courier", tracking="SF1234567890")
    subject, body = bodies(collector)[-1]
    assert "is on its way" in subject and "SF1234567890" in body
    assert "relative" not in body


def test_a_relative_not_entrusted_to_collect_gets_no_pickup_code(staff_app):
    journey = submitted_case(staff_app, defer=False)
    with staff_app.app_context(), db.connection_context():
        Case.update(entrustment=agent_form(powers=["submit", "sign"])).where(
            Case.reference == journey.reference).execute()
    clerk = sign_in(staff_app, "clerk@test")
    _to_result(staff_app, journey, clerk, agent=True)
    assert "pickup_code" not in case_of(staff_app, journey.reference).result
    assert _deliver_form(clerk, journey.reference) == (["courier"], ["courier"])


def test_the_delivered_email_follows_the_method(staff_app):
    journey = submitted_case(staff_app, defer=False)
    with staff_app.test_request_context("/en/"), db.connection_context():
        case = Case.by_reference(journey.reference)
        told = {}
        for method in ("self_pickup", "electronic", "courier"):
            event = Event(case=case, kind="delivered", actor="staff",
                          created_at=datetime(2030, 3, 5, 8, 30),
                          data={"method": method, "tracking": "SF1"})
            message = messages(event, case, "applicant")[0]
            told[method] = (message["Subject"], message.get_body(("plain",)).get_content())
    assert told["self_pickup"][0].endswith("was collected")
    assert "You collected the result at the window on 5 Mar 2030 09:30 (Italy Time)." in (
        told["self_pickup"][1])
    assert told["electronic"][0].endswith("was sent to you")
    assert "sent to you electronically" in told["electronic"][1]
    assert told["courier"][0].endswith("is on its way")
    for subject, body in told.values():
        assert "ready for collection" not in body and "pickup code" not in body


def test_the_receipt_says_what_the_case_is_now(staff_app):
    journey = submitted_case(staff_app, defer=False)
    url = f"/en/cases/{journey.reference}/documents/receipt.pdf"
    before = pdf_text(journey.client.get(url).data)
    assert "It is not yet an acceptance" in before and "Accepted (Beijing time)" not in before
    clerk = sign_in(staff_app, "clerk@test")
    confirm_video(staff_app, journey.reference, agent=False)
    decide(clerk, journey.reference, "accept")
    after = pdf_text(journey.client.get(url).data)
    assert "not yet an acceptance" not in after
    assert "received and accepted by the window on the date above" in after
    assert "Accepted (Beijing time)" in after and "受理时间（北京时间）" in after
    assert "本回执证明申请已收到，并已于上述日期由窗口受理" in after


def test_a_receipt_of_a_case_rejected_before_acceptance_does_not_promise_one(staff_app):
    journey = submitted_case(staff_app, defer=False)
    clerk = sign_in(staff_app, "clerk@test")
    decide(clerk, journey.reference, "reject", reason="Not the holder of this licence")
    text = pdf_text(journey.client.get(
        f"/en/cases/{journey.reference}/documents/receipt.pdf").data)
    assert "not yet an acceptance" not in text and "The window did not accept it" in text
