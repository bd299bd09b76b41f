"""Real-browser tests: Playwright drives Debian's Chromium against the real server.

Journeys a utility's staff make (home -> partnership -> mentor -> back; search; a facet; the
language switch; a comparison), keyboard access, pages without JavaScript, and an
accessibility check with axe-core on every kind of page (no serious or critical violation).
Screenshots go to ``test-artifacts/`` (git-ignored). ``make test`` installs Chromium
(``make browser``); without it these tests are skipped, saying why.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from chromium import needs_chromium
from server import ROOT, LiveServer
from test_browse_pages import SECOND

ARTIFACTS = ROOT / "test-artifacts"
PARTNERSHIP = "ONEE–SIAAP Water Operators' Partnership"
SECOND_IRI = "https://w3id.org/wop/id/partnership/test-second"

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The real server with the bundled graph and a second case."""
    folder = tmp_path_factory.mktemp("browser")
    (folder / "second.ttl").write_text(SECOND)
    data = [str(ROOT / "ontology"), str(ROOT / "data"), str(folder / "second.ttl")]
    with LiveServer("--data", *data, "--workers", "2") as live:
        yield live


@pytest.fixture
def page(browser):
    """A fresh page (no cookies) in English."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()


def shot(page, name: str) -> None:
    """Save a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def h1(page) -> str:
    """The page's main heading."""
    return page.locator("h1").first.inner_text().strip()


def test_home_to_partnership_to_mentor_and_back(server, page):
    page.goto(server.url + "/")
    shot(page, "home")
    page.locator("#partnerships-title ~ ul.cards").get_by_role("link", name=PARTNERSHIP).click()
    assert h1(page) == PARTNERSHIP
    shot(page, "partnership")
    page.locator(".partner.mentor h3 a").click()
    assert h1(page) == "SIAAP"
    shot(page, "mentor")
    page.go_back()
    assert h1(page) == PARTNERSHIP


def test_search_from_the_header(server, page):
    page.goto(server.url + "/")
    page.get_by_role("searchbox").first.fill("kenitra")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=kenitra")
    assert page.get_by_role("link", name="Operator training in Kenitra").is_visible()
    shot(page, "search")


def test_facet_narrows_the_list(server, page):
    page.goto(server.url + "/browse/partnership")
    assert page.locator("table.data tbody tr").count() == 2
    page.locator(".facets").get_by_role("link", name="Netherlands").click()
    assert page.locator("table.data tbody tr").count() == 1
    assert page.locator("table.data tbody th a").inner_text() == "Test Second WOP"
    shot(page, "facet")


def test_language_switch_sticks(server, page):
    page.goto(server.url + "/id/country/morocco")
    assert h1(page) == "Morocco"
    page.locator("nav.languages").get_by_role("link", name="FR").click()
    assert h1(page) == "Maroc"
    assert page.locator("html").get_attribute("lang") == "fr"
    page.goto(server.url + "/id/partnership/onee-siaap")
    assert h1(page) == "Partenariat entre opérateurs d'eau ONEE–SIAAP"
    shot(page, "partnership-fr")


def test_compare_two_partnerships(server, page):
    page.goto(server.url + "/browse/partnership")
    for box in page.locator("input[name=p]").all():
        box.check()
    page.get_by_role("button", name="Compare the partnerships picked").click()
    heads = page.locator("table.data thead th").all_inner_texts()
    assert [h.strip() for h in heads] == [PARTNERSHIP, "Test Second WOP"]
    shot(page, "compare")


def test_keyboard_reaches_the_skip_link_first(server, page):
    page.goto(server.url + "/id/operator/onee")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")
    # On a loaded machine focus can land a moment after the key press.
    page.wait_for_function("document.activeElement.className === 'skip'", timeout=5000)
    page.keyboard.press("Enter")
    page.wait_for_url("**#content", timeout=5000)


def test_pages_read_without_javascript(server, browser):
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto(server.url + "/id/partnership/onee-siaap")
    assert tab.locator(".partner.mentee h3").inner_text().strip() == "ONEE"
    tab.goto(server.url + "/map")
    assert tab.locator("figure.picture svg path.arc").count() == 2
    shot(tab, "map")
    tab.goto(server.url + "/network")
    shot(tab, "network")
    context.close()


PAGES = [
    "/",
    "/id/partnership/onee-siaap",
    "/id/operator/siaap",
    "/id/figure/onee-employees",
    "/vocab/improvement-area",
    "/browse/partnership",
    "/search?q=water",
    "/compare?p="
    + quote("https://w3id.org/wop/id/partnership/onee-siaap")
    + "&p="
    + quote(SECOND_IRI),
    "/map",
    "/network",
    "/ontology",
    "/id/operator/no-such-thing",
]


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violations(server, page, path):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(server.url + path)
    results = Axe().run(page)
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, bad
