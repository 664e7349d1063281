"""Every applicant page, email and PDF in every locale: no untranslated English.

The English source texts (interface messages and catalog content) are looked
for in what each locale shows; any hit is a string that escaped translation.
Short strings are skipped (codes, units and names such as "PDF" or "OneVisit").
"""

import email
import email.policy
import re
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.cases.access import secret_hash
from app.cases.appointments import current_appointment, record_outcome
from app.cases.notify import UPDATE_KINDS, messages
from app.catalog.loader import read_catalog
from app.documents.pack import access_slip, print_pack
from app.mail import deliver
from app.models import Case, Event, Staff, db

from ..conftest import Journey, fill_driving_licence, jpeg_bytes, sign_in, staff_post

ROOT = Path(__file__).resolve().parent.parent.parent
LOCALES = ("zh", "it", "fr", "es", "pt")
MIN_LENGTH = 16


def english_messages(locale: str) -> set:
    """English interface texts whose translation in ``locale`` differs from them."""
    with (ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    found = set()
    for message in catalog:
        ids = message.id if isinstance(message.id, (list, tuple)) else [message.id]
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        for msgid in ids:
            if not msgid or msgid in strings:
                continue
            # The longest run of plain words, so placeholders do not hide a leak.
            for part in re.split(r"%\([a-z_]+\)[sd]|%[sd]|\n", msgid):
                part = part.strip(" .,:;()")
                if len(part) >= MIN_LENGTH and " " in part:
                    found.add(part)
    return found


def english_catalog_texts() -> set:
    """English catalog texts (names, labels, guidance sentences)."""
    data = read_catalog(ROOT / "app" / "catalog" / "data")
    texts = set()

    def add(mapping):
        text = (mapping or {}).get("en", "")
        if text and text != (mapping or {}).get("it"):
            for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
                sentence = sentence.strip()
                if len(sentence) >= MIN_LENGTH and " " in sentence:
                    texts.add(sentence)

    for department in data["departments"]:
        add(department["names"])
    for item in data["items"]:
        for key in ("names", "summary", "guidance", "next_steps"):
            add(item[key])
        for step in item["steps"]:
            add(step["title"])
            for field in step["fields"]:
                add(field["label"])
                add(field.get("help"))
        for material in item["materials"]:
            add(material["names"])
            add(material.get("description"))
    return texts


def visible_text(page) -> str:
    """What a reader sees of ``page`` (its title and body), without the language switch
    (each language's own name)."""
    for switch in page.select("nav.langs"):
        switch.extract()
    return f"{page.title} {page.text}"


def every_notification(case):
    """One event of each kind that emails the applicant, with the data the window
    records (delivery once for each method)."""
    due = "2099-01-01"
    data = {"returned": {"items": [{"material": "id_photo", "reason": "—"}], "note": "",
                         "due": due},
            "accepted": {"due_date": due, "deferred": ["medical_certificate"],
                         "deferred_due": due},
            "transferred": {"department": case.item.department.key},
            "reminder": {"deferred": ["medical_certificate"], "deferred_due": due},
            "delivered": {"method": "courier", "tracking": "SF1"}}
    for kind in UPDATE_KINDS:
        yield Event(case=case, kind=kind, actor="staff", note="—", data=data.get(kind))
    for method in ("agent_pickup", "electronic", "self_pickup"):
        yield Event(case=case, kind="delivered", actor="staff",
                    data={"method": method, "pickup_code": "123456"})


def leaks(text: str, sources: set) -> list:
    return sorted(s for s in sources if s in text)


def pdf_text(data: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


@pytest.mark.parametrize("lang", LOCALES)
def test_applicant_pages_emails_and_pdfs_have_no_english(staff_app, lang):
    sources = english_messages(lang) | english_catalog_texts()
    journey = Journey(staff_app.test_client(), lang=lang)
    assert journey.start(language=lang).status_code == 303
    ref = journey.reference
    client = journey.client
    pages = [f"/{lang}/", f"/{lang}/services", f"/{lang}/services?q=JJ",
             f"/{lang}/services/JJ-JZ-001", f"/{lang}/services/JJ-JZ-001/apply",
             f"/{lang}/cases/find", f"/{lang}/cases/{ref}/steps/applicant"]
    fill_driving_licence(journey, entrust=True)
    for key in ("passport_page", "driving_licence", "id_photo"):
        assert journey.upload(key, jpeg_bytes()).status_code == 303, key
    assert journey.defer("medical_certificate").status_code == 303
    pages += [f"/{lang}/cases/{ref}/steps/licence", f"/{lang}/cases/{ref}/steps/medical",
              f"/{lang}/cases/{ref}/entrustment", f"/{lang}/cases/{ref}/materials",
              f"/{lang}/cases/{ref}/check", f"/{lang}/cases/{ref}/declaration",
              (f"/{lang}/nope-404", 404)]
    # The FAQ: the list, a search, an entry, and the page after "No, it did not".
    from ..questions.faqdata import published_entry
    entry = published_entry(staff_app)
    assert client.post(f"/{lang}/faq/{entry}/helpful", data={"helpful": "no"}).status_code == 303
    pages += [f"/{lang}/faq", f"/{lang}/faq?q=zzz", f"/{lang}/faq/{entry}",
              f"/{lang}/faq/{entry}/helpful"]
    problems = {}
    for url in pages:
        url, status = url if isinstance(url, tuple) else (url, 200)
        found = leaks(visible_text(client.page(url, status=status)), sources)
        if found:
            problems[url] = found
    assert journey.submit().status_code == 303
    # The video check: the slot list, a booking (its email carries an .ics), the cancel page.
    video_url = f"/{lang}/cases/{ref}/video-check"
    slot = client.page(video_url).first('input[name="slot"]:not([disabled])')["value"]
    client.submit(video_url, {"slot": slot})
    pages_after = [f"/{lang}/cases/{ref}/confirmation", f"/{lang}/cases/{ref}", video_url,
                   (f"{video_url}?tz=Bad/Zone", 400), f"{video_url}/cancel",
                   f"/{lang}/service-points", (f"/{lang}/service-points?tz=Bad/Zone", 400),
                   f"/{lang}/agent"]
    for url in pages_after:
        url, status = url if isinstance(url, tuple) else (url, 200)
        found = leaks(visible_text(client.page(url, status=status)), sources)
        if found:
            problems[url] = found
    # Emails: the access link, and a notification from the window.
    clerk = sign_in(staff_app, "clerk@test")
    assert staff_post(clerk, ref, "return", materials="id_photo", reason_id_photo="—",
                      due="2099-01-01").status_code == 303
    # Every other notification, written for this case in its language.
    with staff_app.test_request_context(f"/{lang}/"), db.connection_context():
        case = Case.by_reference(ref)
        for event in every_notification(case):
            for message in messages(event, case, "applicant"):
                deliver(message)
    # The agent's own page, once the video check confirmed them.
    with staff_app.test_request_context(), db.connection_context():
        case = Case.by_reference(ref)
        _case, code = record_outcome(case, current_appointment(case),
                                     Staff.get(Staff.email == "clerk@test"), confirmed=True,
                                     participants=["applicant", "agent"], agent_confirmed=True)
    assert code
    agent = staff_app.test_client()
    agent.submit(f"/{lang}/agent", {"reference": ref, "code": code})
    found = leaks(visible_text(agent.page(f"/{lang}/agent/cases/{ref}")), sources)
    if found:
        problems["agent page"] = found
    outbox = sorted(Path(staff_app.config["OUTBOX_DIR"]).glob("*.eml"))
    # access link, submitted, video booked, returned, the update emails, the agent's code
    assert len(outbox) >= 5 + len(UPDATE_KINDS) + 2
    for path in outbox:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found = leaks(message["Subject"] + " " + message.get_body(("plain",)).get_content(),
                      sources)
        if found:
            problems[f"email {message['Subject']}"] = found
    # PDFs: bilingual, so English appears only where the applicant's language is Chinese.
    if lang != "zh":
        with staff_app.test_request_context(f"/{lang}/"), db.connection_context():
            Case.update(access_code_hash=secret_hash("ABCD-EF23")).where(
                Case.reference == ref).execute()
            case = Case.by_reference(ref)
            for name, data in (("pack", print_pack(case)),
                               ("slip", access_slip(case, "ABCD-EF23"))):
                found = leaks(pdf_text(data), sources)
                if found:
                    problems[f"pdf {name}"] = found
        for doc in ("form", "entrustment", "commitment", "receipt"):
            response = client.get(f"/{lang}/cases/{ref}/documents/{doc}.pdf")
            assert response.status_code == 200, doc
            found = leaks(pdf_text(response.data), sources)
            if found:
                problems[f"pdf {doc}"] = found
    assert not problems, problems
