"""A crawler of Loa for the tests: from the home page it follows every same-origin link, htmx
`hx-get` and GET form of the pages a user reaches, then calls every GET route of the API with the
ids met on the way, and reports what a person would notice: server errors, pages that do not parse
or have no title, English error text, links that lead nowhere, and ids outside the user's scope.
"""
import re
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

ENGLISH_ERRORS = ("Internal Server Error", "Not Found", "Traceback", "Method Not Allowed", "Bad Request",
                  "Unprocessable Entity", "Unauthorized", "Forbidden", '{"detail"', "Exception", "Jinja")
DOWNLOADS = (".docx", ".xlsx", ".csv", ".pdf", ".jpg", ".png", ".webp", ".json", ".js", ".webmanifest")
SKIPPED = ("/logout", "/static/", "/api/docs", "/docs/")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ID_PATTERNS = {
    "activity": re.compile(rf"^/(?:api/v1/)?activities/({UUID})"),
    "plan": re.compile(r"^/(?:api/v1/|reports/)?plans?/(\d+)"),
    "task": re.compile(r"^/(?:api/v1/)?tasks/(\d+)"),
    "unit": re.compile(r"^/(?:api/v1/)?units/(\d+)"),
    "user": re.compile(r"^/(?:admin|api/v1)/users/(\d+)"),
}
QUERY_IDS = {"plan_id": "plan", "task_id": "task", "unit_id": "unit", "user_id": "user", "agency_id": "agency",
             "activity_id": "activity", "parent_id": "unit"}
# Listed API items and the kind of id they hold.
API_LISTS = {"/api/v1/activities": "activity", "/api/v1/plans": "plan", "/api/v1/units": "unit",
             "/api/v1/users": "user", "/api/v1/agencies": "agency"}


class Page(HTMLParser):
    """What the crawl needs from a page: its title and every GET target it offers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.title: str | None = None
        self._in_title = False
        self.links: list[tuple[str, bool]] = []  # (url, as htmx fragment)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "title":
            self._in_title, self.title = True, ""
        if tag == "a" and a.get("href"):
            self.links.append((a["href"], False))
        if a.get("hx-get"):
            self.links.append((a["hx-get"], True))
        if tag == "form" and (a.get("method") or "get").lower() == "get" and a.get("action"):
            self.links.append((a["action"], False))

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


@dataclass
class Scope:
    """What a user may see, computed by the test from the unit rows (not by Loa's access code)."""

    everything: bool
    units: set[int] = field(default_factory=set)
    activities: set[str] = field(default_factory=set)
    plans: set[int] = field(default_factory=set)
    users: set[int] = field(default_factory=set)

    def allows(self, kind: str, value: str) -> bool:
        if self.everything:
            return True
        if kind == "activity":
            return value in self.activities
        if kind == "plan":
            return int(value) in self.plans
        if kind == "user":
            return int(value) in self.users
        return True


@dataclass
class Crawl:
    client: object
    scope: Scope | None           # None: an anonymous visitor
    who: str
    max_pages: int = 80
    max_depth: int = 4
    per_shape: int = 2
    # Word, Excel and CSV files are slow to build (an Excel file of the demo province takes seconds):
    # each kind is opened once from the pages and once through the API.
    downloads: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    seen_ids: dict[str, list[str]] = field(default_factory=dict)
    fetched: int = 0
    seconds: float = 0.0
    timings: list[tuple[float, str]] = field(default_factory=list)

    def get(self, url: str, **kwargs):
        extension = urlsplit(url).path.rpartition(".")[2]
        if extension in ("docx", "xlsx", "csv"):
            if extension in self.downloads:
                return None
            self.downloads.add(extension)
        started = time.monotonic()
        response = self.client.get(url, **kwargs)
        self.timings.append((time.monotonic() - started, url + str(kwargs.get("params") or "")))
        self.fetched += 1
        return response

    def problem(self, url: str, what: str) -> None:
        self.problems.append(f"{self.who} {url}: {what}")

    # --- ids ---------------------------------------------------------------------------------

    def _note_id(self, kind: str, value, source: str, checked: bool = True) -> None:
        value = str(value)
        if checked and self.scope is not None and not self.scope.allows(kind, value):
            self.problem(source, f"links to {kind} {value} outside the user's scope")
        ids = self.seen_ids.setdefault(kind, [])
        if value not in ids:
            ids.append(value)

    def _note_link_ids(self, url: str, source: str) -> None:
        parts = urlsplit(url)
        for kind, pattern in ID_PATTERNS.items():
            m = pattern.match(parts.path)
            if m:
                self._note_id(kind, m.group(1), source)
        for key, value in parse_qsl(parts.query):
            if key in QUERY_IDS and value.isdigit():
                # A filter by a person (the audit's "who") names no account page: not a scope breach.
                self._note_id(QUERY_IDS[key], value, source, checked=key != "user_id")

    # --- pages -------------------------------------------------------------------------------

    @staticmethod
    def _shape(url: str) -> tuple:
        parts = urlsplit(url)
        path = re.sub(UUID, "{uuid}", parts.path)
        path = re.sub(r"/\d+", "/{id}", path)
        return path, tuple(sorted({k for k, _ in parse_qsl(parts.query)}))

    def _wanted(self, url: str) -> str | None:
        parts = urlsplit(url)
        if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
            return None
        if not parts.path.startswith("/") or any(parts.path.startswith(s) for s in SKIPPED):
            return None
        query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
        return parts.path + (f"?{query}" if query else "")

    def check_response(self, url: str, response, *, fragment: bool, followed_link: bool) -> Page | None:
        status = response.status_code
        if status >= 500:
            self.problem(url, f"answered {status}")
            return None
        if followed_link and status in (403, 404) and self.scope is not None:
            self.problem(url, f"a link on a page answered {status}")
        kind = response.headers.get("content-type", "")
        if "text/html" not in kind:
            return None
        text = response.text
        for english in ENGLISH_ERRORS:
            if english in text:
                self.problem(url, f"shows English error text {english!r}")
        page = Page()
        try:
            page.feed(text)
            page.close()
        except Exception as exc:  # noqa: BLE001 - any parser failure is what the test reports
            self.problem(url, f"does not parse: {exc}")
            return None
        if not fragment and not (page.title or "").strip():
            self.problem(url, "has no <title>")
        return page

    def pages(self, start: str = "/") -> None:
        started = time.monotonic()
        queue = deque([(start, False, 0, True)])
        done: set[tuple[str, bool]] = set()
        shapes: dict[tuple, int] = {}
        while queue and self.fetched < self.max_pages:
            url, fragment, depth, followed = queue.popleft()
            if (url, fragment) in done:
                continue
            done.add((url, fragment))
            shape = self._shape(url) + (fragment,)
            if shapes.get(shape, 0) >= self.per_shape:
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            headers = {"HX-Request": "true"} if fragment else {}
            response = self.get(url, headers=headers)
            if response is None:
                continue
            final = str(response.url)
            page = self.check_response(url, response, fragment=fragment, followed_link=followed and url != "/")
            if page is None or urlsplit(url).path.endswith(DOWNLOADS):
                continue
            for href, as_fragment in page.links:
                target = self._wanted(urljoin(final, href))
                if target is None:
                    continue
                self._note_link_ids(target, url)
                if depth + 1 <= self.max_depth:
                    queue.append((target, as_fragment, depth + 1, True))
        self.seconds += time.monotonic() - started

    # --- API ---------------------------------------------------------------------------------

    def api(self, openapi: dict, headers: dict[str, str]) -> None:
        started = time.monotonic()
        self.downloads = set()
        routes = [(path, ops["get"]) for path, ops in openapi["paths"].items()
                  if path.startswith("/api/v1") and "get" in ops]
        plain = [(p, op) for p, op in routes if "{" not in p]
        # Lists first, so that their ids fill the parametrised routes.
        for path, op in sorted(plain, key=lambda r: r[0] not in API_LISTS):
            self._api_get(path, {}, headers)
            if path in API_LISTS:
                self._api_get(path, {"limit": 500}, headers)
            for name, kind in self._query_ids(op):
                for value in self.seen_ids.get(kind, [])[:2]:
                    self._api_get(path, {name: value}, headers)
        for path, op in routes:
            if "{" not in path:
                continue
            names = re.findall(r"{(\w+)}", path)
            kinds = [QUERY_IDS.get(n) or ("activity" if n == "activity_id" else None) for n in names]
            if None in kinds:
                self.problem(path, "has a path parameter the crawl cannot fill")
                continue
            values = [self.seen_ids.get(k, [])[:2] for k in kinds]
            if not all(values):
                continue
            for i in range(max(len(v) for v in values)):
                filled = path
                for name, options in zip(names, values):
                    filled = filled.replace("{" + name + "}", options[i % len(options)])
                self._api_get(filled, {}, headers)
        # An id nobody has must answer 404 in the envelope, not 500.
        self._api_get(f"/api/v1/activities/{uuid.uuid4()}", {}, headers)
        self.seconds += time.monotonic() - started

    @staticmethod
    def _query_ids(op) -> list[tuple[str, str]]:
        return [(p["name"], QUERY_IDS[p["name"]]) for p in op.get("parameters", [])
                if p["in"] == "query" and p["name"] in QUERY_IDS]

    def _api_get(self, path: str, params: dict, headers: dict[str, str]) -> None:
        response = self.get(path, params=params, headers=headers)
        if response is None:
            return
        url = path + ("?" + urlencode(params) if params else "")
        if response.status_code >= 500:
            self.problem(url, f"answered {response.status_code}")
            return
        if "application/json" not in response.headers.get("content-type", ""):
            return
        body = response.json()
        if response.status_code >= 400:
            if not (isinstance(body, dict) and {"code", "message", "errors"} <= set(body)):
                self.problem(url, f"answered {response.status_code} without the error envelope: {body}")
            return
        kind = API_LISTS.get(path)
        if kind and isinstance(body, dict):
            for item in body.get("items", []):
                self._note_id(kind, item["id"], url)
                if kind == "activity" and self.scope is not None and not self.scope.everything \
                        and item.get("unit_id") not in self.scope.units:
                    self.problem(url, f"lists activity {item['id']} of unit {item.get('unit_id')} outside the scope")
