"""FollowInPlace (app/fragments.py): a 303 marked by see_next is answered, on the server,
with the page it names: the GET carries the cookies the POST set, the client gets both
requests' cookies and HX-Push-Url; a GET that gives no page sends the client there with
HX-Redirect. Checked on a small WSGI app of its own, so every case is reachable."""

from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from app.fragments import FOLLOW, FollowInPlace


@Request.application
def toy(request):
    """POST /go: 303 (marked) to ?to=, setting a cookie; /page shows its method and
    cookies; /plain is an unmarked 303; /moved redirects; anything else is 404."""
    if request.method == "POST" and request.path == "/go":
        response = Response("", 303, headers={"Location": request.args["to"], FOLLOW: "1",
                                              "Vary": "HX-Request"})
        response.set_cookie("session", "after-post")
        response.delete_cookie("old")
        return response
    if request.path == "/page":
        body = f"{request.method} {request.full_path} {sorted(request.cookies.items())}"
        return Response(body, headers={"Vary": "Cookie"})
    if request.path == "/renews":
        response = Response(request.cookies["session"])
        response.set_cookie("session", "renewed-by-page")
        return response
    if request.path == "/plain":
        return Response("", 303, headers={"Location": "/page"})
    if request.path == "/moved":
        return Response("", 302, headers={"Location": "/page"})
    return Response("no", 404)


def client():
    browser = Client(FollowInPlace(toy))
    browser.set_cookie("old", "1")
    browser.set_cookie("session", "before-post")
    browser.set_cookie("other", "kept")
    return browser


def test_the_marked_303_is_answered_with_the_page_and_its_url():
    answer = client().post("/go?to=/page%3Fa%3D1", data={"x": "1"})
    assert answer.status_code == 200
    assert answer.get_data(as_text=True) == (
        "GET /page?a=1 [('other', 'kept'), ('session', 'after-post')]")
    assert answer.headers["HX-Push-Url"] == "/page?a=1"
    assert FOLLOW not in answer.headers
    assert "Location" not in answer.headers
    assert [c.split(";")[0] for c in answer.headers.getlist("Set-Cookie")] == [
        "session=after-post", "old="]
    assert answer.headers["Vary"] == "HX-Request, Cookie"


def test_a_cookie_the_page_sets_again_is_sent_once_with_the_page_s_value():
    answer = client().post("/go?to=/renews")
    assert answer.get_data(as_text=True) == "after-post"
    assert [c.split(";")[0] for c in answer.headers.getlist("Set-Cookie")] == [
        "old=", "session=renewed-by-page"]


def test_a_get_that_gives_no_page_sends_the_client_there():
    for target in ("/moved", "/nowhere"):
        answer = client().post(f"/go?to={target}")
        assert answer.status_code == 200
        assert answer.headers["HX-Redirect"] == target
        assert answer.get_data() == b""
        assert "session=after-post" in answer.headers["Set-Cookie"]


def test_a_location_elsewhere_is_not_fetched():
    answer = client().post("/go?to=https://elsewhere.example/page")
    assert answer.headers["HX-Redirect"] == "https://elsewhere.example/page"


def test_a_boosted_post_answered_in_place_keeps_the_address():
    boosted = {"HX-Request": "true", "HX-Boosted": "true"}
    assert client().post("/page", headers=boosted).headers["HX-Push-Url"] == "false"
    assert "HX-Push-Url" not in client().post("/page").headers        # no htmx
    assert "HX-Push-Url" not in client().get("/page", headers=boosted).headers
    assert "HX-Push-Url" not in client().post("/plain", headers=boosted).headers  # 303


def test_an_unmarked_303_goes_out_as_it_is():
    answer = client().get("/plain")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/page"
    assert "HX-Push-Url" not in answer.headers
