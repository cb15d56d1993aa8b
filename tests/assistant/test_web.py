"""The web page at /, driven end to end in a real headless Chromium against the real server.

Debian's chromium (/usr/bin/chromium) through Playwright for Python; no browser is downloaded.
Screenshots land in test-artifacts/ (git-ignored). A missing browser is a failure, not a skip:
CI (.ci/run) installs it.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from index.config import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
WEB_DIR = PROJECT_ROOT / "assistant" / "web"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run"]
TIMEOUT_MS = 90_000  # generous: the machine may be busy with other test runs

SEED_QUESTION = "Wie viele Case-Management-Stellen sind besetzt?"
FOLLOW_UP = "Und wie viele davon sind geplant?"
UNANSWERABLE = "Wann wurde das Rathaus in München gebaut?"
VIEWPORTS = {"mobile": {"width": 375, "height": 740}, "desktop": {"width": 1280, "height": 900}}

IN_VIEWPORT = """el => {
    const r = el.getBoundingClientRect();
    const nav = document.querySelector('.doc-nav').getBoundingClientRect();
    return r.height > 0 && r.top >= nav.bottom - 1 && r.bottom <= window.innerHeight
        && r.left >= 0 && r.right <= window.innerWidth;
}"""


@pytest.fixture(scope="module")
def client(api_server):
    with httpx.Client(base_url=api_server.url, timeout=60) as http:
        yield http


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the web page tests drive Debian's chromium. "
                    "Install it with `apt-get install -y chromium` (.ci/run does).", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is missing: install the test extras (`pip install -e '.[test]'`).",
                    pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Page:
    """A fresh browser context and page that records /ask payloads, foreign requests and errors."""

    def __init__(self, browser, server_url: str, viewport: dict) -> None:
        self.server_url = server_url
        self.context = browser.new_context(viewport=viewport, locale="de-DE")
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.asked: list[dict] = []
        self.foreign: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", self._on_request)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def _on_request(self, request) -> None:
        if not (request.url.startswith(self.server_url + "/") or request.url.startswith("data:")):
            self.foreign.append(request.url)
        if request.method == "POST" and request.url == self.server_url + "/ask":
            self.asked.append(json.loads(request.post_data))

    def open(self) -> None:
        self.page.goto(self.server_url + "/")
        self.page.wait_for_selector("#filter-body option:nth-child(2)", state="attached")

    def ask(self, question: str) -> dict:
        """Types the question, presses Enter, waits for the reply; returns the API's JSON."""
        turns = self.page.locator(".turn").count()
        self.page.fill("#question", question)
        with self.page.expect_response(lambda r: r.url == self.server_url + "/ask") as response:
            self.page.press("#question", "Enter")
        self.page.locator(".turn").nth(turns).locator(".reply").wait_for()
        return response.value.json()

    def turn(self, index: int):
        return self.page.locator(".turn").nth(index)

    def focused(self, prop: str = "id"):
        return self.page.evaluate(f"document.activeElement && document.activeElement.{prop}")

    def screenshot(self, name: str, full_page: bool = False) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def close(self) -> None:
        self.context.close()
        assert not self.errors, f"errors in the page: {self.errors}"
        assert not self.foreign, f"the page loaded something from elsewhere: {self.foreign}"


@pytest.fixture
def open_page(browser, api_server):
    pages: list[Page] = []

    def make(viewport: str = "desktop") -> Page:
        page = Page(browser, api_server.url, VIEWPORTS[viewport])
        pages.append(page)
        page.open()
        return page

    yield make
    for page in pages:
        page.close()


def assert_no_horizontal_scroll(page: Page) -> None:
    width = page.page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.page.viewport_size["width"], f"the page is {width}px wide"


# ----------------------------------------------------------------------------- the page itself


def test_page_and_static_files_are_served_locally(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'src="static/app.js"' in page.text and 'href="static/style.css"' in page.text
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/style.css").headers["content-type"].startswith("text/css")
    assert "/" not in client.get("/openapi.json").json()["paths"]
    for path in WEB_DIR.iterdir():  # no CDN, no web font, no external URL of any kind
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", path.read_text(encoding="utf-8")), path


# ----------------------------------------------------------------------------- end to end


@pytest.mark.parametrize("viewport", ["mobile", "desktop"])
def test_ask_follow_the_citation_and_follow_up(open_page, client, viewport):
    expected = client.post("/ask", json={"question": SEED_QUESTION}).json()
    assert not expected["abstained"], "the API no longer answers the seed question"
    top = expected["answers"][0]

    page = open_page(viewport)
    p = page.page
    assert p.evaluate("document.documentElement.lang") == "de"
    assert p.inner_text("h1") == "Niederschriften-Assistent"
    assert p.inner_text("label[for=question]") == "Ihre Frage"

    first = page.ask(SEED_QUESTION)
    reply = page.turn(0).locator(".reply")
    context = reply.locator(".answer-main .answer-context")
    mark = context.locator("mark")
    assert mark.count() == 1
    assert mark.text_content() == top["text"] == first["answers"][0]["text"]
    assert "1,5" in mark.text_content()
    assert context.text_content() == top["context"]  # the span sits inside its sentence, where
    offset = top["start"] - top["context_start"]       # the offsets say
    assert mark.evaluate("m => m.previousSibling.textContent") == top["context"][:offset]

    link = reply.locator(".answer-main > .citation-line a.citation")
    citation = link.inner_text()
    for part in (top["meeting"]["body"], top["meeting"]["committee"], "11.05.2022",
                 f"TOP {top['agenda_item']['number']}", top["agenda_item"]["title"]):
        assert part in citation
    assert page.focused() == "question"  # ready for a follow-up
    p.click("#filters > summary")  # the open filters fit too
    assert_no_horizontal_scroll(page)
    p.click("#filters > summary")

    # the citation opens the document view with the same span highlighted and in view
    link.click()
    hit = p.locator(".doc-body mark#hit")
    hit.wait_for()
    assert re.search(rf"#/documents/{top['document_id']}\?start={top['start']}&end={top['end']}$", p.url)
    assert hit.text_content() == top["text"]
    assert p.locator(".doc-body mark").count() == 1
    document = client.get(f"/documents/{top['document_id']}").json()
    assert p.inner_text("#doc-title") == document["title"]
    shown = "".join(p.locator(".doc-body .doc-text").all_text_contents())
    assert re.sub(r"\s", "", shown) == re.sub(r"\s", "", document["text"])
    p.wait_for_function(f"() => ({IN_VIEWPORT})(document.getElementById('hit'))")
    assert page.focused() == "hit"
    assert_no_horizontal_scroll(page)
    page.screenshot(f"web-{viewport}-document.png")

    # back to the same conversation (Escape on the keyboard), focus on the citation followed
    p.keyboard.press("Escape")
    p.locator("#chat-view").wait_for()
    assert p.locator("#doc-view").is_hidden()
    assert p.locator(".turn").count() == 1
    assert page.focused("className") == "citation"
    assert p.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"

    # the follow-up continues the session
    follow = page.ask(FOLLOW_UP)
    assert p.locator(".turn").count() == 2
    assert page.asked[1]["session_id"] == first["session_id"] == follow["session_id"]
    second = page.turn(1).locator(".reply .answer-main mark")
    assert "6,0" in second.text_content()
    assert second.text_content() == follow["answers"][0]["text"]
    if follow["query"] != FOLLOW_UP:  # the resolved query is shown
        assert follow["query"] in page.turn(1).locator(".resolved-query").inner_text()
    assert_no_horizontal_scroll(page)
    p.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.screenshot(f"web-{viewport}.png", full_page=viewport == "desktop")


def test_unanswerable_question_says_so_and_shows_the_closest_passages(open_page, client):
    expected = client.post("/ask", json={"question": UNANSWERABLE}).json()
    assert expected["abstained"] and expected["passages"], "the API answers the unanswerable question"
    page = open_page("desktop")
    page.ask(UNANSWERABLE)
    reply = page.turn(0).locator(".reply")
    assert reply.locator(".no-answer").inner_text() == "Keine Antwort in den Niederschriften gefunden."
    assert reply.locator("mark").count() == 0
    passages = reply.locator(".passages .passage")
    assert passages.count() == len(expected["passages"])
    first = expected["passages"][0]
    assert passages.nth(0).locator(".passage-text").text_content() == first["text"]
    assert first["meeting"]["body"] in passages.nth(0).locator("a.citation").inner_text()
    passages.nth(0).locator("a.citation").click()  # the passage itself is highlighted
    page.page.locator(".doc-body mark#hit").wait_for()
    assert "".join(page.page.locator(".doc-body mark").all_text_contents()) == first["text"]


def test_language_switch_changes_the_interface_and_is_remembered(open_page):
    page = open_page("desktop")
    p = page.page
    p.click("button[data-lang=en]")
    assert p.inner_text("h1") == "Minutes assistant"
    assert p.inner_text("label[for=question]") == "Your question"
    assert p.inner_text("#ask-button") == "Ask"
    assert p.get_attribute("button[data-lang=en]", "aria-pressed") == "true"
    assert p.evaluate("document.documentElement.lang") == "en"
    page.ask(SEED_QUESTION)
    citation = page.turn(0).locator(".answer-main > .citation-line a.citation").inner_text()
    assert "11 May 2022" in citation and "Item 2" in citation
    page.ask(UNANSWERABLE)
    assert page.turn(1).locator(".no-answer").inner_text() == "No answer found in the minutes."
    page.screenshot("web-desktop-english.png")

    p.reload()  # the choice is remembered, the conversation kept for this tab
    p.locator(".turn .reply").first.wait_for()
    assert p.inner_text("h1") == "Minutes assistant"
    assert p.locator(".turn").count() == 2
    p.click("button[data-lang=de]")
    assert p.inner_text("h1") == "Niederschriften-Assistent"
    assert "11.05.2022" in page.turn(0).locator(".answer-main > .citation-line a.citation").inner_text()
    assert page.turn(1).locator(".no-answer").inner_text() == "Keine Antwort in den Niederschriften gefunden."


def test_filters_come_from_the_documents_and_go_with_the_question(open_page, client):
    documents = client.get("/documents").json()["documents"]
    page = open_page("desktop")
    p = page.page
    bodies = p.locator("#filter-body option").all_text_contents()
    assert bodies == ["Alle"] + sorted({d["meeting"]["body"] for d in documents}, key=str.casefold)
    assert p.locator("#filter-committee option").count() == 1 + len(
        {d["meeting"]["committee"] for d in documents if d["meeting"]["committee"]})

    p.click("#filters > summary")
    p.select_option("#filter-body", "Kreis Heinsberg")
    committees = {d["meeting"]["committee"] for d in documents
                  if d["meeting"]["body"] == "Kreis Heinsberg" and d["meeting"]["committee"]}
    assert set(p.locator("#filter-committee option").all_text_contents()[1:]) == committees
    p.select_option("#filter-body", "Rhein-Sieg-Kreis")
    assert "1 aktiv" in p.inner_text("#filters-summary")

    # an impossible date range is refused before anything is sent
    p.fill("#filter-date-from", "2023-12-31")
    p.fill("#filter-date-to", "2023-01-01")
    p.fill("#question", "Wie viele Stellen sind besetzt?")
    p.press("#question", "Enter")
    assert p.locator("#filter-error").is_visible()
    assert page.asked == [] and p.locator(".turn").count() == 0

    p.fill("#filter-date-from", "2023-01-01")
    p.fill("#filter-date-to", "2023-12-31")
    result = page.ask("Wie viele Stellen sind besetzt?")
    assert page.asked[0]["filters"] == {"body": "Rhein-Sieg-Kreis", "date_from": "2023-01-01",
                                        "date_to": "2023-12-31"}
    assert {a["meeting"]["body"] for a in result["answers"]} <= {"Rhein-Sieg-Kreis"}
    for text in page.turn(0).locator("a.citation").all_text_contents():
        assert text.startswith("Rhein-Sieg-Kreis")
    assert "Rhein-Sieg-Kreis" in page.turn(0).locator(".turn-filters").inner_text()


def test_text_from_the_user_or_the_documents_is_never_markup(open_page):
    page = open_page("mobile")
    question = '<img src=x onerror="window.__xss=1"> Wie viele Stellen sind <b>besetzt</b>?'
    page.ask(question)
    turn = page.turn(0)
    assert turn.locator(".question").text_content().endswith(question)
    assert turn.locator("img, b").count() == 0
    assert page.page.evaluate("window.__xss") is None


def test_new_conversation_starts_a_new_session(open_page):
    page = open_page("desktop")
    first = page.ask(SEED_QUESTION)
    page.page.click("#new-conversation")
    assert page.page.locator(".turn").count() == 0
    assert page.focused() == "question"
    page.ask(FOLLOW_UP)
    assert "session_id" not in page.asked[1]
    assert page.asked[0].get("session_id") is None and first["session_id"]
