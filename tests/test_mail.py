"""Email through a real SMTP server running in-process (aiosmtpd)."""

import re

from tests.conftest import Journey, smtp


def test_access_link_is_sent_by_smtp_in_the_applicants_language(app, smtp_server):
    collector = smtp(app, smtp_server)
    journey = Journey(app.test_client(), lang="zh")
    assert journey.start(language="zh", email="chen.yan@example.pt").status_code == 303
    [(recipients, message)] = collector.messages
    assert recipients == ["chen.yan@example.pt"]
    body = message.get_content()
    assert journey.reference in message["Subject"]
    assert "http://onevisit.test/zh/cases/access/" in body
    assert "机动车驾驶证" in body  # the item's Chinese name
    assert message.get_content_charset() == "utf-8"


def test_no_email_is_sent_without_an_address(app, smtp_server):
    collector = smtp(app, smtp_server)
    journey = Journey(app.test_client())
    assert journey.start(email="").status_code == 303
    assert collector.messages == []


def test_an_unreachable_mail_server_does_not_lose_the_application(app):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1)  # nothing listens there
    journey = Journey(app.test_client())
    started = journey.start()
    assert started.status_code == 303
    page = journey.client.page(started.location)
    shown = page.one(".refbox").get_text(" ")
    assert journey.reference in shown
    assert re.search(r"Access code: [A-Z0-9]{4}-[A-Z0-9]{4}", " ".join(shown.split()))
