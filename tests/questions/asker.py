"""Drives the asker's side of a question through the test client (as Journey drives a case)."""

import io
import re

from tests.pages import Page

QUESTION = "Vorrei rinnovare la patente di guida cinese: quali documenti servono?"


class Asker:
    """One browser asking questions; each call returns the :class:`Page` answered."""

    def __init__(self, client, lang="it"):
        self.client = client
        self.lang = lang
        self.reference = None

    @property
    def base(self) -> str:
        return f"/{self.lang}/questions/{self.reference}"

    def form(self, query: str = "") -> dict:
        """Step 1 as it first shows (with its one-time key and CSRF token)."""
        return Page(self.client.get(f"/{self.lang}/questions/new{query}")).form_data("#ask-form")

    def check(self, query: str = "", **values) -> Page:
        """Step 1 posted: step 2 (the answers that may help) or step 1 with errors."""
        data = dict(self.form(query), text=QUESTION, county="wencheng",
                    email="lin.mei@example.it", phone="", name="Lin Mei")
        data.update(values)
        return Page(self.client.post(f"/{self.lang}/questions/new", data=data))

    def send(self, step2: Page, files=(), **values) -> Page:
        """Step 2 posted with ``files`` (``[(bytes, name)]``): the question is sent."""
        data = dict(step2.form_data("#send-form"), stage="send", **values)
        data["files"] = [(io.BytesIO(content), name) for content, name in files]
        page = Page(self.client.post(f"/{self.lang}/questions/new", data=data,
                                     content_type="multipart/form-data"))
        if page.status == 303:
            self.reference = re.search(r"/questions/(QA-[\d-]+)/sent", page.location).group(1)
        return page

    def ask(self, query: str = "", files=(), **values) -> Page:
        """Both steps: the page after sending (followed), or the refusal."""
        step2 = self.check(query, **values)
        assert step2.status == 200, step2.errors()
        sent = self.send(step2, files)
        assert sent.status == 303, (sent.status, sent.errors())
        return Page(self.client.get(sent.location))

    def reply(self, text: str, files=()) -> Page:
        token = Page(self.client.get(self.base)).csrf()
        data = {"csrf_token": token, "text": text,
                "files": [(io.BytesIO(content), name) for content, name in files]}
        return Page(self.client.post(f"{self.base}/reply", data=data,
                                     content_type="multipart/form-data"))

    def post(self, url: str, data=None) -> Page:
        token = Page(self.client.get(self.base)).csrf()
        return Page(self.client.post(url, data={"csrf_token": token, **(data or {})}))
