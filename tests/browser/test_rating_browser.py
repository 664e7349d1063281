"""A bad rating and its follow-up, in real browsers (issue 18).

A case of an applicant in Lisbon (pt) is delivered; three days later the one invitation
to rate goes out. On her phone (pt-PT, 412 px) she opens its link, rates the service
不满意 (Insatisfeito) and says why. The window's supervisor (zh-CN, Beijing) finds the
follow-up, due in 15 Chinese working days, records the return visit (a call, in
Portuguese) and replies in Portuguese; the applicant reads the reply on her case's page
(and in the email), rates again, and the supervisor closes the follow-up. Interface texts
come from the real catalogs (translations/).
"""

import re
from datetime import timedelta

from playwright.sync_api import expect

from app import clock
from app.models import Case, FollowUp, Rating, db
from app.ratings import invitations

from ..conftest import make_staff
from ..pages import PageClient
from ..ratings.helpers import delivered_case
from .test_question_browser import context_of, mails_to, sign_in, t
from .test_volunteer_italian_browser import shot

COMMENT = "Tive de ir duas vezes ao consulado porque o guia não pedia a procuração."
REPLY = ("Obrigado pela sua avaliação. Verificámos: o guia foi corrigido e a procuração "
         "consta agora da lista. Pedimos desculpa pelas deslocações.")


def test_a_bad_rating_in_portuguese_is_followed_up(browser, live_server, tmp_path):
    app, base = live_server.app, str(live_server)
    app.test_client_class = PageClient
    make_staff(app, "clerk@test", "clerk", office="police-global-window")
    make_staff(app, "wang.supervisor@test", "supervisor", office="police-global-window")
    journey, _clerk = delivered_case(app, lang="pt")
    with clock.clock_at(clock.now() + timedelta(days=3, minutes=5)):
        with app.test_request_context(), db.connection_context():
            assert invitations.invite_due() == 1
    invitation = mails_to(app, "lin.mei@example.it")[-1]
    link = re.search(r"https?://\S+/pt/cases/access/\S+/rating/delivered",
                     invitation.get_content()).group(0)
    phone_context, phone, phone_problems = context_of(browser, "pt-PT", "Europe/Lisbon",
                                                      412, 915)
    desk_context, desk, desk_problems = context_of(browser, "zh-CN", "Asia/Shanghai")
    try:
        # 1. The invitation's link opens the rating page, in Portuguese.
        phone.goto(link.replace(app.config["PUBLIC_URL"], base))
        expect(phone.get_by_role("heading", level=1)).to_have_text(t("Rate this service", "pt"))
        overall = phone.get_by_role("group", name=t(
            "Overall, how satisfied are you with this service?", "pt"))
        overall.get_by_label(t("Dissatisfied", "pt"), exact=True).check()
        phone.get_by_label(t("Twice", "pt"), exact=True).check()
        phone.locator("#f-comment").fill(COMMENT)
        shot(phone, tmp_path, "rating-form-pt")
        phone.get_by_role("button", name=t("Send my rating", "pt")).click()
        expect(phone.locator("#rating-delivered")).to_contain_text(t("Dissatisfied", "pt"))
        expect(phone.locator("#rating-delivered")).to_contain_text(COMMENT)
        shot(phone, tmp_path, "rated-pt")
        with app.app_context(), db.connection_context():
            case = Case.get(Case.reference == journey.reference)
            follow_up = FollowUp.get(FollowUp.case == case.id)
            assert follow_up.status == "open"
            assert follow_up.due_date > clock.beijing_today() + timedelta(days=15)

        # 2. The supervisor finds it among the open follow-ups and follows it up.
        sign_in(desk, base, app, "wang.supervisor@test")
        desk.goto(f"{base}/staff/follow-ups")
        desk.get_by_role("link", name=journey.reference).click()
        expect(desk.locator("#comment")).to_have_text(COMMENT)
        expect(desk.locator("#due")).to_contain_text(str(follow_up.due_date.day))
        # Closing before the return visit is refused, and says why.
        desk.locator("#d-close button[type=submit]").click()
        expect(desk.locator("#actions")).to_contain_text(
            t("Record the return visit first: a follow-up closes only once the applicant "
              "has been contacted.", "zh"))
        desk.get_by_label(t("Phone call", "zh"), exact=True).check()
        desk.locator("#f-visit-lang").select_option("pt")
        desk.locator("#f-visit-note").fill("Falámos com a requerente: a procuração faltava no guia.")
        desk.get_by_role("button", name=t("Record the visit", "zh")).click()
        expect(desk.locator("#steps")).to_contain_text(t("Return visit recorded", "zh"))
        desk.locator("#f-reply-text").fill(REPLY)
        shot(desk, tmp_path, "follow-up-zh")
        desk.get_by_role("button", name=t("Send the reply", "zh")).click()
        expect(desk.locator("#steps")).to_contain_text(REPLY)

        # 3. The applicant reads the reply in Portuguese on her case's page and by email,
        # and may rate again.
        phone.goto(f"{base}/pt/cases/{journey.reference}")
        expect(phone.locator("ol.timeline")).to_contain_text(REPLY)
        expect(phone.locator("html")).to_have_attribute("lang", "pt")
        assert REPLY in mails_to(app, "lin.mei@example.it")[-1].get_content()
        shot(phone, tmp_path, "reply-pt")
        phone.locator("#rating-delivered a[href$='/rating/delivered']").click()
        overall.get_by_label(t("Satisfied", "pt"), exact=True).check()
        phone.get_by_role("button", name=t("Save my changes", "pt")).click()
        expect(phone.locator("#rating-delivered")).to_contain_text(t("Satisfied", "pt"))

        # 4. The supervisor sees the new rating among the steps and closes the follow-up.
        desk.reload()
        expect(desk.locator("#steps")).to_contain_text(t("The applicant rated again", "zh"))
        desk.locator("#d-close button[type=submit]").click()
        expect(desk.locator("#due")).to_contain_text(t("Closed on time", "zh"))
        with app.app_context(), db.connection_context():
            assert FollowUp.get_by_id(follow_up.id).status == "closed"
            assert Rating.get(Rating.case == case.id).level == 4
        assert phone_problems == [] and desk_problems == [], (phone_problems, desk_problems)
    finally:
        phone_context.close()
        desk_context.close()
