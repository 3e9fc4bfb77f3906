"""The edge every text crosses on its way into Loa.

Query strings, JSON bodies and URL-encoded forms are normalised here (app.core.text.normalise_text:
NFC, line breaks unified, NUL and other control characters removed) before any route reads them,
so every endpoint, service and both databases see the same text. A JSON text that cannot be stored
at all (an unpaired UTF-16 surrogate, sent as "\\udfff") is refused here with 422 and the path of
each such field. Multipart forms (those carrying files) are normalised when they are read
(app.core.forms). Passwords are compared as typed: only their surrogates are refused.
"""
import json
import re
import unicodedata
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.text import UnpairedSurrogate, check_surrogates, clean_text, normalise_text

RAW_FIELDS = frozenset({"password", "current_password", "new_password", "password_confirm"})
SURROGATE_MESSAGE = ("Có ký tự không hợp lệ (nửa cặp ký tự UTF-16 đứng riêng), không lưu được: "
                     "hãy nhập lại nội dung này.")


def _shown(key: str) -> str:
    """A key as it can appear in an error path (a surrogate is written as its escape)."""
    return key.encode("utf-8", "backslashreplace").decode("utf-8")


class _Walk:
    """Normalises every string (keys included) of a parsed JSON document, noting where it changed
    something and where a text cannot be stored."""

    def __init__(self):
        self.changed = False
        self.refused: list[str] = []

    def text(self, value: str, path: str, raw: bool = False) -> str:
        try:
            out = check_surrogates(value) if raw else normalise_text(value)
        except UnpairedSurrogate:
            self.refused.append(path)
            return value
        if out is not value and out != value:
            self.changed = True
        return out

    def value(self, value: Any, path: str, raw: bool = False) -> Any:
        if isinstance(value, str):
            return self.text(value, path, raw)
        if isinstance(value, list):
            return [self.value(item, f"{path}.{i}") for i, item in enumerate(value)]
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                name = self.text(key, f"{path}.{_shown(key)}")
                out[name] = self.value(item, f"{path}.{_shown(name)}", raw=name in RAW_FIELDS)
            return out
        return value


def _normalised(value: Any, raw: bool = False) -> Any:
    """The fast walk: every string normalised, UnpairedSurrogate raised at the first bad one."""
    kind = type(value)
    if kind is str:
        return check_surrogates(value) if raw else normalise_text(value)
    if kind is list:
        return [_normalised(item) for item in value]
    if kind is dict:
        return {normalise_text(key): _normalised(item, key in RAW_FIELDS) for key, item in value.items()}
    return value


def normalise_json(document: Any) -> tuple[Any, bool, list[str]]:
    """(normalised document, whether anything changed, paths of refused texts)."""
    try:
        out = _normalised(document)
    except UnpairedSurrogate:
        walk = _Walk()  # rare: walk again, noting the path of every refused text
        walk.value(document, "body")
        return document, False, walk.refused
    return out, out != document, []


# In a JSON body: an escape that may hide a character the rule changes or refuses (\\u, \\b, \\f,
# \\r), or such a character written as is (DEL, C1 controls, U+2028, U+2029, U+FFFE, U+FFFF in
# UTF-8). Other control characters cannot appear raw inside a JSON string.
_BODY_TO_CHECK = re.compile(rb"\\[ubfr]|\x7f|\xc2[\x80-\x9f]|\xe2\x80[\xa8\xa9]|\xef\xbf[\xbe\xbf]")


def _json_needs_work(body: bytes) -> bool:
    """Whether a JSON body may hold text the rule changes or refuses, told without parsing it
    (most bodies need nothing): NFC can be checked on the whole body, as the quotes around its
    strings never compose with a letter."""
    if _BODY_TO_CHECK.search(body) is not None:
        return True
    if body.isascii():
        return False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:  # a surrogate written as raw bytes, or not UTF-8 at all
        return True
    return not unicodedata.is_normalized("NFC", text)


def normalise_query(query: str) -> str:
    """A query string or URL-encoded form with each name and value normalised. Percent-decoding
    already turned bytes that are not UTF-8 into U+FFFD, so there is nothing here to refuse."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(clean_text(k), v if k in RAW_FIELDS else clean_text(v)) for k, v in pairs])


def _needs_query_work(raw: bytes) -> bool:
    # Controls, combining marks and non-ASCII letters can only come percent-encoded or raw non-ASCII.
    return b"%" in raw or not raw.isascii()


def _content_type(scope: Scope) -> bytes:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower()
    return b""


class TextEdge:
    """ASGI middleware applying the text rule to query strings and JSON or URL-encoded bodies."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if query and _needs_query_work(query):
            scope = dict(scope, query_string=normalise_query(query.decode("latin-1")).encode("ascii"))
        kind = _content_type(scope) if scope["method"] in ("POST", "PUT", "PATCH") else b""
        is_json = kind == b"application/json" or kind.endswith(b"+json")
        if is_json or kind == b"application/x-www-form-urlencoded":
            body, more = await _read_body(receive)
            if more is not None:
                await self.app(scope, _replay(body, receive, more), send)
                return
            if is_json and _json_needs_work(body):
                try:
                    document = json.loads(body)
                except (ValueError, RecursionError):
                    document = None  # left to the route, which answers its usual error
                else:
                    try:
                        document, changed, refused = normalise_json(document)
                    except RecursionError:
                        changed, refused = False, []
                    if refused:
                        await _refuse(scope, refused)(scope, receive, send)
                        return
                    if changed:
                        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
            elif not is_json and body and _needs_query_work(body):
                body = normalise_query(body.decode("latin-1")).encode("ascii")
            receive = _replay(body, receive, None)
        await self.app(scope, receive, send)


async def _read_body(receive: Receive) -> tuple[bytes, Message | None]:
    """The whole request body; a disconnect stops early and is handed on (second value)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), None


def _replay(body: bytes, receive: Receive, pending: Message | None) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": pending is not None}
        if pending is not None:
            return pending
        return await receive()
    return replay


def _refuse(scope: Scope, paths: list[str]):
    from app.core.errors import api_body, field_error, is_api

    request = Request(scope)
    if is_api(request):
        errors = [field_error(path, "invalid_character", SURROGATE_MESSAGE) for path in paths]
        return JSONResponse(api_body("validation_error", "Dữ liệu không hợp lệ.", errors), status_code=422)
    from app.core.templating import templates

    return templates.TemplateResponse(request, "error.html", {"status": 422, "message": SURROGATE_MESSAGE},
                                      status_code=422)
