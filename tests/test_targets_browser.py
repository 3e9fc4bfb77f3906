"""44 px targets everywhere (WCAG 2.5.8, and the 44 px the officers' phones need): every page the
crawl reaches for each demo role, opened in Chromium on a 375×812 phone. Every button, link shown
as a button, input, select and textarea is at least 44 px tall; a checkbox or radio counts with its
clickable label. Links are held to it too, except WCAG 2.5.8's exception: a link inside a sentence
(inline, with text of its own line around it), whose size the line of text sets. And no page is
wider than the phone."""
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.accounts.models import User
from app.core.config import get_settings
from app.demo import DEMO_USERNAMES, load_demo
from app.main import create_app
from tests.conftest import screenshot
from tests.crawler import Crawl

MIN = 44
PAGES_PER_ROLE = 40

# Returns what is smaller than 44 px tall on the page, as "tag 'text' (height)".
SMALL_TARGETS = """(min) => {
  const seen = (el) => {
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden' || el.closest('[hidden], .visually-hidden')) return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;
  };
  const inSentence = (a) => {
    if (getComputedStyle(a).display !== 'inline') return false;
    const block = a.parentElement.closest('p, li, td, dd, dt, label, span, small, figcaption, div');
    if (!block) return false;
    const text = block.textContent.replace(a.textContent, '').replace(/[\\s·|,.:;()→←—-]/g, '');
    return text.length > 0;
  };
  const tall = (el) => el.getBoundingClientRect().height;
  const describe = (el, h) => `${el.tagName.toLowerCase()}${el.type ? '[' + el.type + ']' : ''} `
      + `'${(el.textContent || el.name || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 40)}' (${h.toFixed(0)} px)`;
  const small = [];
  const targets = document.querySelectorAll(
      'button, a[href], [role=button], input:not([type=hidden]), select, textarea, summary');
  for (const el of targets) {
    if (!seen(el)) continue;
    if (el.tagName === 'A' && !el.matches('.button, [role=button]') && inSentence(el)) continue;
    let h = tall(el);
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      const label = el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`));
      if (label) h = Math.max(h, tall(label));
    }
    if (el.matches('input[type=file]')) {
      const label = el.closest('label');
      if (label) h = Math.max(h, tall(el));
    }
    if (h < min - 0.5) small.push(describe(el, h));
  }
  return small;
}"""


class PageCrawl(Crawl):
    """The crawl of tests/crawler.py, keeping the whole pages (not the htmx fragments) it opened."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.opened: list[str] = []

    def get(self, url, **kwargs):
        response = super().get(url, **kwargs)
        headers = kwargs.get("headers") or {}
        if (response is not None and response.status_code == 200 and "HX-Request" not in headers
                and "text/html" in response.headers.get("content-type", "")):
            self.opened.append(url)
        return response


def _pages_of(username: str, password: str) -> list[str]:
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        login = client.post("/login", data={"username": username, "password": password, "next": "/"},
                            follow_redirects=False)
        assert login.status_code == 303, login.text
        crawl = PageCrawl(client, None, username, max_pages=PAGES_PER_ROLE)
        crawl.pages("/")
    return list(dict.fromkeys(crawl.opened))


@pytest.mark.browser
def test_every_target_of_every_page_is_44_px_tall_on_a_phone_for_every_role(session, live_server, phone):
    load_demo(session)
    session.commit()  # the demo is one unit of work; the pages read it from other connections
    password = get_settings().demo_password
    users = {u.username for u in session.execute(select(User).where(User.username.in_(DEMO_USERNAMES))).scalars()}
    assert users == set(DEMO_USERNAMES)
    started, opened, problems = time.monotonic(), 0, []
    page = phone.new_page()
    for username in DEMO_USERNAMES:
        urls = _pages_of(username, password)
        phone.clear_cookies()
        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        for url in urls:
            page.goto(live_server + url)
            small = page.evaluate(SMALL_TARGETS, MIN)
            opened += 1
            if small:
                problems.append(f"{username} {url}: " + "; ".join(small[:8]))
            # Nothing pushes the page sideways (wide tables scroll in their own frame).
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > 375:
                problems.append(f"{username} {url}: the page is {wide} px wide")
        screenshot(page, f"targets-{username}-last-page-phone")
    seconds = time.monotonic() - started
    print(f"{opened} pages in {seconds:.0f} s")
    assert opened > 50
    assert not problems, f"{len(problems)} pages with targets under {MIN} px:\n" + "\n".join(problems)
