"""Every page of the app is valid HTML, by the Nu HTML Checker (npm ``vnu-jar``, Java).

The pages are collected through the test client in two locales (zh and it): the
applicant's whole journey (guide, start, each step, a step refused for bad input,
materials, check, declaration, confirmation, status, video-check booking, withdraw,
delete, find, the agent's pages, 404 and 400 pages), the catalog, home, the service
points, a document's verification page, and every staff page of
tests/i18n/test_staff_leaks.py's list (queue, case page, workload, day sheet, admin
pages, catalog editor, a volunteer's desk...). htmx fragments are checked too, wrapped
in a minimal document. They are written to a temp dir and checked by ONE run of the
checker (one JVM: it is slow to start); every error is printed with its file and line.

The checker (npm ``vnu-jar``, pinned with its integrity in tests/clients/package-lock.json)
is installed by ``WITH_DEV=1 scripts/setup.sh``; ``ONEVISIT_VNU_JAR`` names another jar.
"""

import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app.cases.appointments import current_appointment, record_outcome
from app.models import Case, Staff, db

from .conftest import (BAD_ID, APPLICANT, Journey, csrf_token, fill_driving_licence, jpeg_bytes,
                       sign_in)
from .i18n.test_staff_languages import choose
from .i18n.test_staff_leaks import follow_up_at_work, staff_pages, window_at_work
from .pages import Page

ROOT = Path(__file__).resolve().parent.parent
CANARY = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>'
          '<link rel="prefetch" href="/x.js" as="script"></head><body>'
          '<p><time>not a time</time></p></body></html>')
LOCALES = ("zh", "it")
#: Fragment answers (htmx partial requests): checked as the body of a minimal page.
PARTIAL = {"HX-Request": "true"}
WRAPPER = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>fragment'
           '</title></head><body>{}</body></html>')


def vnu_command() -> list:
    """``java -jar vnu.jar``, or a clear failure saying what to install."""
    java = shutil.which("java")
    if not java:
        pytest.fail("java not found: the Nu HTML Checker needs Java 17 "
                    "(apt-get install openjdk-17-jre-headless)", pytrace=False)
    configured = os.environ.get("ONEVISIT_VNU_JAR")
    jar = Path(configured or ROOT / "tests/clients/node_modules/vnu-jar/build/dist/vnu.jar")
    if not jar.is_file():
        pytest.fail("vnu.jar not found: run WITH_DEV=1 scripts/setup.sh (npm ci in "
                    "tests/clients) or set ONEVISIT_VNU_JAR", pytrace=False)
    return [java, "-Xss4m", "-jar", str(jar)]


def check(files: list) -> list:
    """The checker's errors over ``files``, as "file:line: message" lines."""
    run = subprocess.run([*vnu_command(), "--errors-only", "--format", "json",
                          *map(str, files)], capture_output=True, text=True, timeout=300)
    report = json.loads(run.stderr or run.stdout or '{"messages": []}')
    return [f"{Path(m.get('url', '?')).name}:{m.get('lastLine', '?')}: {m['message']} "
            f"[{m.get('extract', '').strip()[:120]}]"
            for m in report["messages"] if m.get("type") in ("error", "non-document-error")]


class Collector:
    """Pages by file name, each fetched once with its expected status."""

    def __init__(self, lang):
        self.lang = lang
        self.pages = {}
        self.problems = []

    def get(self, client, name, url, status=200, fragment=False, **kwargs):
        response = client.get(url, **kwargs)
        if response.status_code != status:
            self.problems.append(f"{url}: status {response.status_code}, expected {status}")
            return None
        html = response.get_data(as_text=True)
        self.add(name, WRAPPER.format(html) if fragment else html)
        return Page(response)

    def add(self, name, html):
        self.pages[f"{self.lang}-{re.sub(r'[^a-z0-9]+', '-', name.lower())}.html"] = html


def applicant_pages(app, lang, pages: Collector) -> str:
    """The applicant's journey and public pages in ``lang``; returns the case's reference."""
    p = f"/{lang}"
    journey = Journey(app.test_client(), lang=lang)
    client = journey.client
    for name, url in (("home", f"{p}/"), ("catalog", f"{p}/services"),
                      ("search", f"{p}/services?q=JJ"), ("guide", f"{p}/services/JJ-JZ-001"),
                      ("start", f"{p}/services/JJ-JZ-001/apply"), ("find", f"{p}/cases/find"),
                      ("points", f"{p}/service-points"), ("agent-find", f"{p}/agent")):
        pages.get(client, name, url)
    pages.get(client, "404", f"{p}/nope", status=404)
    from .questions.faqdata import published_entry
    entry = published_entry(app)
    pages.get(client, "faq", f"{p}/faq")
    pages.get(client, "faq-search", f"{p}/faq?q=%E9%A9%BE%E9%A9%B6&item=JJ-JZ-001")
    pages.get(client, "faq-entry", f"{p}/faq/{entry}")
    pages.get(client, "guide-asked", f"{p}/services/JJ-JZ-001")
    pages.get(client, "search-answers", f"{p}/services?q=%E9%A9%BE%E9%A9%B6")
    refused = client.post(f"{p}/faq/{entry}/helpful", data={"helpful": "maybe"})
    if refused.status_code != 400:
        pages.problems.append(f"a vote neither yes nor no answered {refused.status_code}")
    pages.add("faq-vote-400", refused.get_data(as_text=True))
    client.post(f"{p}/faq/{entry}/helpful", data={"helpful": "no"})
    pages.get(client, "faq-thanks", f"{p}/faq/{entry}/helpful")
    pages.get(client, "points-400", f"{p}/service-points?tz=Bad/Zone", status=400)
    pages.get(client, "search-fragment", f"{p}/services?q=licence", fragment=True,
              headers=PARTIAL)
    assert journey.start(language=lang).status_code == 303
    base = journey.base
    refused = journey.step("applicant", dict(APPLICANT, cn_id=BAD_ID))
    if refused.status < 400:
        pages.problems.append(f"a wrong ID number answered {refused.status}")
    pages.add("step-refused", refused.html)
    pages.get(client, "step-applicant", f"{base}/steps/applicant")
    pages.get(client, "delete", f"{base}/delete")
    fill_driving_licence(journey, entrust=True)
    for key in ("licence", "medical"):
        pages.get(client, f"step-{key}", f"{base}/steps/{key}")
    pages.get(client, "entrustment", f"{base}/entrustment")
    pages.get(client, "materials-empty", f"{base}/materials")
    for key in ("passport_page", "driving_licence", "id_photo"):
        assert journey.upload(key, jpeg_bytes()).status_code == 303, key
    assert journey.defer("medical_certificate").status_code == 303
    pages.get(client, "materials", f"{base}/materials")
    pages.get(client, "slot-fragment", f"{base}/materials/id_photo/slot", fragment=True,
              headers=PARTIAL)
    pages.get(client, "check", f"{base}/check")
    pages.get(client, "declaration", f"{base}/declaration")
    pages.get(client, "draft-status", base)
    assert journey.submit().status_code == 303
    pages.get(client, "confirmation", f"{base}/confirmation")
    pages.get(client, "status", base)
    pages.get(client, "withdraw", f"{base}/withdraw")
    video = pages.get(client, "video-check", f"{base}/video-check")
    pages.get(client, "video-check-400", f"{base}/video-check?tz=Bad/Zone", status=400)
    slot = video.first('input[name="slot"]:not([disabled])')["value"]
    client.submit(f"{base}/video-check", {"slot": slot})
    pages.get(client, "video-booked", f"{base}/video-check")
    pages.get(client, "video-cancel", f"{base}/video-check/cancel")
    pages.get(client, "status-booked", base)
    form = client.get(f"{base}/documents/entrustment.pdf")
    from .documents.test_documents import pdf_text
    code = re.search(r"([0-9A-Z]{5}-[0-9A-Z]{5})", pdf_text(form.data))
    if code:
        pages.get(app.test_client(), "verify", f"/verify/{code.group(1)}",
                  headers={"Accept-Language": lang})
    else:
        pages.problems.append("no verification code in the entrustment PDF")
    return journey.reference, slot


def question_pages(app, lang, pages: Collector) -> None:
    """The asker's pages in ``lang``: ask (both steps, refused too), after sending, the
    thread (answered, with a file; closed, with a reply refused), find, a link problem."""
    from app.models import Question
    from app.questions import service
    from .questions.asker import Asker
    p = f"/{lang}/questions"
    asker = Asker(app.test_client(), lang=lang)
    client = asker.client
    pages.get(client, "ask", f"{p}/new")
    pages.get(client, "ask-from-guide", f"{p}/new?item=JJ-JZ-001")
    pages.add("ask-refused", asker.check(text="").html)
    pages.add("ask-nothing-matches", asker.check(text="Xyzzy plugh").html)
    step2 = asker.check(text="Patente di guida <script>: 驾驶证 rinnovo?")
    pages.add("ask-check", step2.html)
    pages.add("ask-file-refused", asker.send(step2, files=[(b"text", "a.jpg")]).html)
    sent = asker.send(step2, files=[(jpeg_bytes(), "a.jpg")])
    pages.get(client, "question-sent", sent.location)
    pages.get(client, "question-thread", asker.base)
    with app.test_request_context(), db.connection_context():
        service.answer(Question.get(Question.reference == asker.reference),
                       Staff.get(Staff.email == "clerk@test"), "需要护照。", "zh")
    pages.add("question-reply-refused", asker.reply("").html)
    pages.get(client, "question-answered", asker.base)
    asker.post(f"{asker.base}/close")
    pages.add("question-closed-409", asker.reply("more").html)
    pages.get(client, "question-closed", asker.base)
    # Files too large to read: the form again with the text (413); a question that became
    # an application.
    other = Asker(app.test_client(), lang=lang)
    step2 = other.check(text="Patente di guida: rinnovo?")
    cap, app.config["UPLOAD_MAX_BYTES"] = app.config["UPLOAD_MAX_BYTES"], 50 * 1024
    pages.add("ask-too-large", other.send(step2, files=[(os.urandom(3 << 20), "a.jpg")]).html)
    other.send(step2)
    pages.add("reply-too-large", other.reply("x", files=[(os.urandom(3 << 20), "a.jpg")]).html)
    app.config["UPLOAD_MAX_BYTES"] = cap
    with app.test_request_context(), db.connection_context():
        from app.cases.from_question import start_from_question
        from app.models import Item
        question = Question.get(Question.reference == other.reference)
        clerk = Staff.get(Staff.email == "clerk@test")
        started = start_from_question(Item.active_by_code("JJ-JZ-001"), clerk, question,
                                      country="IT", city="Prato", start_key=f"html-{lang}" * 4)
        service.converted(question, clerk, started.case)
    pages.get(other.client, "question-converted", other.base)
    pages.get(client, "question-find", f"{p}/find")
    pages.get(client, "question-link-problem", f"{p}/open/nope", status=404)


def rating_pages(app, lang, pages: Collector) -> None:
    """The rating of a delivered case in ``lang``: the status page inviting to rate, the
    form, the form refused (422), the status page with the rating and the window's reply,
    the form to change it, and a change refused once the week is over (409)."""
    from app import clock
    from app.models import FollowUp
    from app.ratings import service
    from .ratings.helpers import delivered_case
    journey, _clerk = delivered_case(app, lang=lang)
    client, url = journey.client, f"{journey.base}/rating/delivered"
    pages.get(client, "status-to-rate", journey.base)
    form = pages.get(client, "rating", url)
    refused = client.post(url, data={"csrf_token": form.csrf(), "level": "9",
                                     "comment": "<script>x</script>"})
    if refused.status_code != 422:
        pages.problems.append(f"a level 9 answered {refused.status_code}")
    pages.add("rating-422", refused.get_data(as_text=True))
    client.submit(url, {"csrf_token": form.csrf(), "level": "2", "visits": "1",
                        "guide": "partly", "speed": "2", "comment": "<b>slow</b>\nvery"})
    with app.test_request_context(), db.connection_context():
        clerk = Staff.get(Staff.email == "supervisor@test")
        service.reply(FollowUp.get(FollowUp.case == Case.by_reference(journey.reference)),
                      clerk, "已改进。<i>谢谢</i>", "zh")
    pages.get(client, "status-rated", journey.base)
    pages.get(client, "rating-change", url)
    token = Page(client.get(url)).csrf()
    with clock.clock_at(clock.now() + timedelta(days=8)):
        pages.get(client, "rating-closed", url)
        late = client.post(url, data={"csrf_token": token, "level": "1", "visits": "0"})
        if late.status_code != 409:
            pages.problems.append(f"a change after the week answered {late.status_code}")
        pages.add("rating-409", late.get_data(as_text=True))
    # A case the entrusted agent rated: the applicant sees the levels, and no form.
    rated, _clerk = delivered_case(app, lang=lang, entrust=True)
    with app.test_request_context(), db.connection_context():
        service.rate(Case.by_reference(rated.reference), "delivered", service.Answers(
            level=1, visits=0, comment="<b>agent</b>"), locale=lang, by="agent")
    pages.get(rated.client, "status-agent-rated", rated.base)
    pages.get(rated.client, "rating-agent-owned", f"{rated.base}/rating/delivered")


def staff_clients(app) -> dict:
    """A browser for each kind of staff page: signed in (clerk, supervisor, volunteer,
    admin), without a second factor yet (half, nomfa), and signed out (None)."""
    clients = {who: sign_in(app, f"{who}@test")
               for who in ("clerk", "supervisor", "volunteer", "admin")}
    clients["nomfa"] = sign_in(app, "nomfa@test", mfa=False)
    half = app.test_client()
    half.post("/staff/login", data={"csrf_token": csrf_token(half, "/staff/login"),
                                    "email": "clerk2@test", "password": "correct horse battery"})
    clients["half"], clients[None] = half, app.test_client()
    return clients


def faq_refusals(app, admin, pages: Collector) -> None:
    """A published entry's text saved so that a language would not be ready: refused
    (a new Chinese: 409, the notice; "ready" unticked: 422, the field's error)."""
    from .questions.faqdata import published_entry
    entry = published_entry(app, email="admin@test")
    url = f"/staff/admin/faq/{entry}/text"
    refusals = (("zh", "新问题？", "y", 409, "faq-text-kept-409"),
                ("it", "Domanda?", "", 422, "faq-text-ready-422"))
    for locale, question, ready, status, name in refusals:
        data = dict(admin.page(f"{url}?locale={locale}").form_data("main form[method=post]"),
                    question=question, ready=ready)
        response = admin.post(url, data=data)
        if response.status_code != status:
            pages.problems.append(
                f"{url} ({locale}): status {response.status_code}, expected {status}")
        pages.add(name, response.get_data(as_text=True))


def follow_up_refusal(app, supervisor, pages: Collector):
    """A follow-up step refused with what was typed (closing while an appeal waits: 409)."""
    url = f"/staff/follow-ups/{follow_up_at_work(app)}"
    page = Page(supervisor.get(url))
    refused = supervisor.post(f"{url}/close", data={
        "csrf_token": page.csrf(), "note": "<b>typed</b>",
        "version": page.first("#d-close input[name=version]").get("value")})
    if refused.status_code != 409:
        pages.problems.append(f"closing a follow-up with an appeal waiting: {refused.status_code}")
    pages.add("follow-up-refused", refused.get_data(as_text=True))


def staff_side(app, clients, lang, ref, slot, pages: Collector):
    """Every staff page of the list in tests/i18n/test_staff_leaks.py, in ``lang``."""
    for who, client in clients.items():
        client.get(f"/{lang}/staff/login")
        if who not in (None, "half", "nomfa"):
            choose(client, lang, "/staff/sessions")
    called = (datetime.strptime(slot, "%Y%m%dT%H%M") + timedelta(hours=8)).date().isoformat()
    point, assisted = window_at_work(app, clients, ref, lang)
    for endpoint, (who, url, status) in staff_pages(app, ref, point, assisted,
                                                    day=called).items():
        pages.get(clients[who], endpoint, url, status=status)
    faq_refusals(app, clients["admin"], pages)
    follow_up_refusal(app, clients["supervisor"], pages)
    for section in ("basics", "text", "steps"):   # the list reads the materials section
        pages.get(clients["admin"], f"editor-{section}", f"/staff/admin/catalog/JJ-JZ-001/draft/{section}")
    # The appointment page of the booking email's link, and the agent's own page once
    # the video check confirmed them.
    links = []
    for path in sorted(Path(app.config["OUTBOX_DIR"]).glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(("plain",))
        found = body and re.search(rf"https?://\S+?(/{lang}/appointments/\S+)", body.get_content())
        if found:
            links.append(found.group(1))
    if links:
        pages.get(app.test_client(), "appointment", links[-1])
    else:
        pages.problems.append("no appointment link in the outbox")
    with app.test_request_context(), db.connection_context():
        case = Case.by_reference(ref)
        _case, code = record_outcome(case, current_appointment(case),
                                     Staff.get(Staff.email == "clerk@test"), confirmed=True,
                                     participants=["applicant", "agent"], agent_confirmed=True)
    agent = app.test_client()
    agent.submit(f"/{lang}/agent", {"reference": ref, "code": code})
    pages.get(agent, "agent-case", f"/{lang}/agent/cases/{ref}")
    pages.get(clients["clerk"], "queue-fragment", "/staff/queue?status=all", fragment=True,
              headers=PARTIAL)


#: The public statistics are checked in every locale (six tables of figures, three charts).
STATISTICS_LOCALES = ("zh", "en", "it", "fr", "es", "pt")


def statistics_pages(app, lang, pages: Collector) -> None:
    """The statistics with figures, with a month too small to show, filtered, and refused."""
    p = f"/{lang}/statistics"
    client = app.test_client()
    pages.get(client, "statistics", p)
    pages.get(client, "statistics-filtered", f"{p}?county=wencheng&item=JJ-JZ-001&point=online")
    pages.get(client, "statistics-24", f"{p}?from=2024-12&to=2026-11")
    pages.get(client, "statistics-400", f"{p}?county=nowhere&from=2026-13", status=400)
    pages.get(client, "statistics-nul", f"{p}?point=milan%00&from=2026-01%00", status=400)


def statistics_counts(app) -> None:
    """A year of counts for the whole network, one month of them too small to show."""
    from .ratings.test_statistics import put_cell, put_days
    for month in (202512, 202601, 202602, 202603, 202604, 202605, 202606, 202607, 202608,
                  202609, 202610, 202611):
        put_cell(app, month, received=300, accepted=290, results=280, on_time=260,
                 delivered=270, deferred=40, deferred_on_time=35, rated=200, level_5=120,
                 level_4=40, level_3=20, level_2=12, level_1=8, excluded=1, visits_0=150,
                 visits_1=30, visits_2=15, visits_3=5, guide_yes=170, guide_partly=20,
                 guide_no=10, trips_abroad=130, trips_province=20, demo=300)
        put_days(app, month, "taken", {3: 100, 8: 100, 15: 80})
        put_days(app, month, "limit", {10: 180, 20: 100})
    put_cell(app, 202511, received=3, accepted=3)


@pytest.mark.markup
def test_every_page_is_valid_html(staff_app, tmp_path):
    from .conftest import make_staff
    command = vnu_command()      # fails first, and clearly, without the checker
    make_staff(staff_app, "admin@test", "admin")
    files, problems = [], []
    started = time.monotonic()
    clients = staff_clients(staff_app)
    for lang in LOCALES:
        pages = Collector(lang)
        ref, slot = applicant_pages(staff_app, lang, pages)
        question_pages(staff_app, lang, pages)
        staff_side(staff_app, clients, lang, ref, slot, pages)
        rating_pages(staff_app, lang, pages)
        problems += pages.problems
        for name, html in pages.pages.items():
            (tmp_path / name).write_text(html, encoding="utf-8")
            files.append(tmp_path / name)
    statistics_counts(staff_app)
    for lang in STATISTICS_LOCALES:
        pages = Collector(lang)
        statistics_pages(staff_app, lang, pages)
        problems += pages.problems
        for name, html in pages.pages.items():
            (tmp_path / name).write_text(html, encoding="utf-8")
            files.append(tmp_path / name)
    assert not problems, problems
    print(f"vnu: {len(files)} pages collected in {time.monotonic() - started:.1f} s")
    assert len(files) > 100, f"only {len(files)} pages collected"
    assert command
    # A page with the two errors of issue 16 goes into the same run: the checker is seen
    # to find them (one JVM start, not two).
    canary = tmp_path / "canary.html"
    canary.write_text(CANARY, encoding="utf-8")
    started = time.monotonic()
    errors = check([*files, canary])
    print(f"vnu: one run in {time.monotonic() - started:.1f} s")
    found = [e for e in errors if e.startswith("canary.html:")]
    assert len(found) == 2 and "“as”" in found[0] and "“time”" in found[1], found
    errors = [e for e in errors if e not in found]
    print(f"vnu: {len(files)} pages checked, {len(errors)} errors")
    assert not errors, "\n".join(errors)


def test_a_missing_checker_fails_clearly(monkeypatch, tmp_path):
    monkeypatch.setenv("ONEVISIT_VNU_JAR", str(tmp_path / "absent.jar"))
    with pytest.raises(pytest.fail.Exception, match="vnu.jar not found: run WITH_DEV=1"):
        vnu_command()
