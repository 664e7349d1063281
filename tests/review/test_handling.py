"""Who handles a case: whoever acts holds it, the queue's "mine" and "handled by", the
supervisor's work in hand, bulk assignment and packs, and a case passed to an officer
heading their queue until opened."""

import io

from pypdf import PdfReader

from app.models import Case, Staff, db

from ..conftest import (confirm_video, copy_item, csrf_token, decide, sign_in, staff_post,
                        submitted_case)
from ..pages import Page


def holder(app, reference):
    with app.app_context(), db.connection_context():
        case = Case.get(Case.reference == reference)
        return case.assigned_to.email if case.assigned_to_id else None


def staff_id(app, email):
    with app.app_context(), db.connection_context():
        return Staff.get(Staff.email == email).id


def bulk(client, refs, action, to="", next_url="/staff/queue?status=all", status=303):
    data = {"csrf_token": csrf_token(client, "/staff/queue"), "case": refs, "action": action,
            "to": to, "next": next_url}
    return client.post("/staff/queue/bulk", data=data), status


def test_whoever_acts_holds_the_case_until_it_is_given_to_another(staff_app):
    first, second = (submitted_case(staff_app).reference for _ in range(2))
    clerk, clerk2 = sign_in(staff_app, "clerk@test"), sign_in(staff_app, "clerk2@test")
    assert "Nobody yet" in Page(clerk.get(f"/staff/cases/{first}")).first("dl").text
    assert staff_post(clerk, first, "return", materials="id_photo", reason_id_photo="Blurred",
                      due="2099-01-01").status_code == 303
    assert holder(staff_app, first) == "clerk@test"
    page = Page(clerk.get(f"/staff/cases/{first}"))
    assert "clerk" in page.first("dl").text and "Nobody yet" not in page.first("dl").text
    # A colleague acting on it does not take it from its holder.
    confirm_video(staff_app, second, agent=False)
    decide(clerk2, second, "accept")
    assert holder(staff_app, second) == "clerk2@test"
    decide(clerk, second, "note", note="Checked the licence record", to_applicant="")
    assert holder(staff_app, second) == "clerk2@test"
    # The queue says who holds what; "mine" and "nobody yet" filter it.
    queue = Page(clerk.get("/staff/queue?status=all"))
    rows = {r.select_one("td a").get_text(strip=True): r.select_one("td.holder").get_text(strip=True)
            for r in queue.select("#queue-table tbody tr")}
    assert rows[first] == "clerk" and rows[second] == "clerk2"
    mine = Page(clerk.get("/staff/queue?status=all&holder=mine")).texts(
        "#queue-table tbody tr td:first-child a")
    assert mine == [first]
    third = submitted_case(staff_app).reference
    nobody = Page(clerk.get("/staff/queue?status=all&holder=nobody")).texts(
        "#queue-table tbody tr td:first-child a")
    assert nobody == [third]


def test_bulk_assignment_and_packs_with_no_javascript(staff_app):
    refs = [submitted_case(staff_app).reference for _ in range(3)]
    returned = refs[2]
    clerk = sign_in(staff_app, "clerk@test")
    staff_post(clerk, returned, "return", materials="id_photo", reason_id_photo="Blurred",
               due="2099-01-01")
    copy_item(staff_app, "JJ-JZ-001", "QT-TEST-001", "qingtian-traffic")
    other_county = submitted_case(staff_app, code="QT-TEST-001").reference
    response, _ = bulk(clerk, refs + [other_county, "NOT-A-REF"], "assign",
                       to=str(staff_id(staff_app, "clerk2@test")))
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/queue?status=all"
    assert [holder(staff_app, r) for r in refs[:2]] == ["clerk2@test"] * 2
    assert holder(staff_app, returned) == "clerk@test"  # a returned case cannot be assigned
    flashes = " ".join(Page(clerk.get("/staff/queue?status=all")).texts(".flash"))
    assert "2 cases assigned" in flashes
    assert returned in flashes and other_county in flashes and "NOT-A-REF" in flashes
    assert holder(staff_app, other_county) is None  # another county's case: untouched
    # The packs of the ticked cases, one PDF in the order ticked.
    response, _ = bulk(clerk, refs[:2], "packs")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    both = len(PdfReader(io.BytesIO(response.data)).pages)
    one = len(PdfReader(io.BytesIO(clerk.get(
        f"/staff/cases/{refs[0]}/documents/form.pdf").data)).pages)
    assert both > 2 * one
    # Bad input: nothing ticked, an unknown action, a "next" elsewhere.
    response, _ = bulk(clerk, [], "assign", next_url="https://evil.example/")
    assert response.status_code == 303 and response.headers["Location"] == "/staff/queue"
    assert "Tick at least one case" in " ".join(Page(clerk.get("/staff/queue")).texts(".flash"))
    assert bulk(clerk, refs[:1], "delete")[0].status_code == 400
    # The province's supervisor reads and changes nothing.
    assert bulk(sign_in(staff_app, "province@test"), refs[:1], "assign")[0].status_code == 403


def test_the_supervisor_sees_work_in_hand_and_rebalances_from_it(staff_app):
    refs = [submitted_case(staff_app).reference for _ in range(3)]
    clerk = sign_in(staff_app, "clerk@test")
    for ref in refs[:2]:
        staff_post(clerk, ref, "claim", assignee="")
    supervisor = sign_in(staff_app, "supervisor@test")
    page = Page(supervisor.get("/staff/workload"))
    rows = {r.select_one("th").get_text(strip=True): [td.get_text(strip=True)
                                                    for td in r.select("td")]
            for r in page.select("tbody tr")}
    assert rows["clerk"][1:3] == ["2", "2"] and rows["Nobody yet"][1] == "1"
    assert rows["clerk2"][1] == "0"
    link = page.select("tbody tr")[0].select_one("td a")["href"]
    assert "holder=" in link and "status=open" in link
    listed = Page(supervisor.get(link)).texts("#queue-table tbody tr td:first-child a")
    assert sorted(listed) == sorted(refs[:2])
    # Rebalance: one of the clerk's cases to clerk2.
    bulk(supervisor, refs[:1], "assign", to=str(staff_id(staff_app, "clerk2@test")))
    assert holder(staff_app, refs[0]) == "clerk2@test"
    assert sign_in(staff_app, "clerk@test").get("/staff/workload").status_code == 403


def test_a_case_passed_to_an_officer_heads_their_queue_until_opened(staff_app):
    ref = submitted_case(staff_app).reference
    clerk = sign_in(staff_app, "clerk@test")
    confirm_video(staff_app, ref, agent=False)
    decide(clerk, ref, "accept")
    decide(clerk, ref, "transfer", department="traffic-vehicle-office", note="please check")
    officer = sign_in(staff_app, "officer@test")
    fresh = Page(officer.get("/staff/queue")).texts("section.fresh li a")
    assert fresh == [ref]
    officer.get(f"/staff/cases/{ref}")
    assert not Page(officer.get("/staff/queue")).select("section.fresh")
    # A clerk of the window opening it does not count for the department.
    ref2 = submitted_case(staff_app).reference
    confirm_video(staff_app, ref2, agent=False)
    decide(clerk, ref2, "accept")
    decide(clerk, ref2, "transfer", department="traffic-vehicle-office", note="again")
    clerk.get(f"/staff/cases/{ref2}")
    assert Page(officer.get("/staff/queue")).texts("section.fresh li a") == [ref2]
