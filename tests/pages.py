"""Pages as a user reads them: a test client whose answers are parsed HTML.

``client.page(url)`` GETs a page, checks its status (200 unless told) and
returns a :class:`Page`; ``client.submit(url, data)`` posts a form the same
way (303 unless told). Tests then ask for elements and their text
(``page.one("h1").text``, ``page.texts(".error")``, ``page.field("email")``)
instead of searching raw HTML.
"""

import re

from bs4 import BeautifulSoup
from flask.testing import FlaskClient


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _textarea(control) -> str:
    """A textarea's value as a browser reads it (one newline right after the tag is not
    part of it: HTML drops it, WTForms writes it)."""
    text = control.get_text()
    for newline in ("\r\n", "\n"):
        if text.startswith(newline):
            return text[len(newline):]
    return text


class Page:
    """A parsed HTML answer."""

    def __init__(self, response):
        self.response = response
        self.status = response.status_code
        self.html = response.get_data(as_text=True)
        self.soup = BeautifulSoup(self.html, "html.parser")

    def __repr__(self):
        return f"<Page {self.status} {self.title!r}>"

    @property
    def status_code(self) -> int:
        """The HTTP status (as on a response)."""
        return self.status

    @property
    def headers(self):
        """The response's headers."""
        return self.response.headers

    @property
    def location(self) -> str | None:
        """Where a redirect leads."""
        return self.response.headers.get("Location")

    @property
    def title(self) -> str:
        """The document title."""
        found = self.soup.find("title")
        return _squash(found.get_text()) if found else ""

    @property
    def text(self) -> str:
        """All the text a reader sees in the body, spaces squashed."""
        body = self.soup.body or self.soup
        for hidden in body.find_all(["script", "style", "template"]):
            hidden.extract()
        return _squash(body.get_text(" "))

    @property
    def main(self) -> str:
        """The text of ``<main>`` (the page without header and footer)."""
        found = self.soup.find("main")
        return _squash(found.get_text(" ")) if found else self.text

    def select(self, css: str) -> list:
        """Every element matching ``css``."""
        return self.soup.select(css)

    def one(self, css: str):
        """The one element matching ``css`` (fails on none or several)."""
        found = self.soup.select(css)
        assert len(found) == 1, f"{len(found)} elements match {css!r} on {self!r}"
        return found[0]

    def first(self, css: str):
        """The first element matching ``css``, or None."""
        return self.soup.select_one(css)

    def texts(self, css: str) -> list[str]:
        """The text of every element matching ``css``."""
        return [_squash(e.get_text(" ")) for e in self.soup.select(css)]

    def links(self, css: str = "a[href]") -> list[str]:
        """The targets of the links matching ``css``."""
        return [a.get("href") for a in self.soup.select(css)]

    def errors(self) -> list[str]:
        """The messages of the error summary and of the fields in error."""
        return self.texts(".error-summary li, .error-summary p, p.error")

    def field_error(self, name: str) -> str | None:
        """The message shown at the field called ``name`` (found by its control)."""
        control = self.soup.find(attrs={"name": name})
        assert control is not None, f"no field {name!r} on {self!r}"
        box = control.find_parent(class_="field")
        error = box.find(class_="error") if box else None
        return _squash(error.get_text(" ")).removeprefix("Error:").strip() if error else None

    def field(self, name: str, form=None):
        """The value a control called ``name`` shows (a list for checkboxes)."""
        scope = form if form is not None else self.soup
        controls = scope.find_all(attrs={"name": name})
        assert controls, f"no control {name!r} on {self!r}"
        first = controls[0]
        if first.name == "textarea":
            return _textarea(first)
        if first.name == "select":
            chosen = first.find("option", selected=True) or first.find("option")
            return chosen.get("value") if chosen else None
        kind = first.get("type", "text")
        if kind == "checkbox":
            return [c.get("value") for c in controls if c.has_attr("checked")]
        if kind == "radio":
            return next((c.get("value") for c in controls if c.has_attr("checked")), None)
        return first.get("value", "")

    def form(self, css: str = "main form"):
        """The form matching ``css`` (the first one)."""
        found = self.soup.select_one(css)
        assert found is not None, f"no form {css!r} on {self!r}"
        return found

    def form_data(self, css: str = "main form") -> dict:
        """What submitting the form unchanged sends (hidden fields and current values)."""
        data = {}
        for control in self.form(css).find_all(["input", "select", "textarea"]):
            name = control.get("name")
            if not name or control.has_attr("disabled"):
                continue
            if control.name == "select":
                chosen = control.find("option", selected=True) or control.find("option")
                value = chosen.get("value") if chosen else ""
            elif control.name == "textarea":
                value = _textarea(control)
            else:
                kind = control.get("type", "text")
                if kind in ("submit", "button", "file", "image", "reset"):
                    continue
                if kind in ("checkbox", "radio") and not control.has_attr("checked"):
                    continue
                value = control.get("value", "on" if kind in ("checkbox", "radio") else "")
            data.setdefault(name, []).append(value)
        return {k: v[0] if len(v) == 1 else v for k, v in data.items()}

    def csrf(self) -> str:
        """The CSRF token of the page's first form."""
        found = self.soup.find("input", attrs={"name": "csrf_token"})
        assert found is not None, f"no CSRF token on {self!r}"
        return found.get("value")


class PageClient(FlaskClient):
    """A test client that checks statuses and hands back parsed pages."""

    def page(self, url: str, status: int = 200, **kwargs) -> Page:
        """GET ``url``; fail unless the status is ``status``."""
        response = self.get(url, **kwargs)
        page = Page(response)
        assert response.status_code == status, (
            f"GET {url}: {response.status_code}, expected {status}: {page.title} "
            f"{page.errors() or page.main[:300]}")
        return page

    def submit(self, url: str, data: dict | None = None, status: int = 303,
               csrf_from: str | None = None, **kwargs) -> Page:
        """POST ``data`` to ``url`` (with a fresh CSRF token unless one is given); fail
        unless the status is ``status``."""
        data = dict(data or {})
        if "csrf_token" not in data:
            data["csrf_token"] = self.page(csrf_from or url).csrf()
        response = self.post(url, data=data, **kwargs)
        page = Page(response)
        assert response.status_code == status, (
            f"POST {url}: {response.status_code}, expected {status}: {page.title} "
            f"{page.errors() or page.main[:300]}")
        return page


def facts(page: Page) -> dict[str, str]:
    """What the page's lists of facts (``<dl class="facts">``) say: term -> value."""
    return {_squash(box.dt.get_text(" ")): _squash(box.dd.get_text(" "))
            for box in page.select("dl.facts > div") if box.dt and box.dd}
