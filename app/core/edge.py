"""The edge every text crosses on its way into Loa.

Query strings, JSON bodies and URL-encoded forms are normalised here (app.core.text.normalise_text:
NFC, line breaks unified, NUL and other control characters removed) before any route reads them,
so every endpoint, service and both databases see the same text. A JSON text that cannot be stored
at all (an unpaired UTF-16 surrogate, sent as "\\udfff") is refused here with 422 and the path of
each such field. Multipart forms are rewritten as they stream in: their text fields normalised,
their files passed through untouched. Passwords are compared as typed: only their surrogates are
refused.
"""
import json
import re
import unicodedata
from typing import Any
from urllib.parse import parse_qsl, urlencode

from python_multipart.multipart import parse_options_header
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import api_body, field_error, is_api
from app.core.templating import templates
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


def _boundary(scope: Scope) -> bytes | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return parse_options_header(value)[1].get(b"boundary") or None
    return None


_ASCII_CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")


class _MultipartText:
    """A multipart body rewritten as it streams: each text field normalised, each file part passed
    through as it arrives (found with bytes.find, so a 10 MB photo costs a few milliseconds). A text
    field that is not UTF-8, is a password or is longer than MAX_TEXT_PART is passed as it came; a
    body that does not follow the format is passed on as it came from there, for the form parser
    to refuse."""

    MAX_TEXT_PART = 1024 * 1024
    MAX_HEADERS = 16 * 1024

    def __init__(self, boundary: bytes, receive: Receive):
        self._receive = receive
        self._dash_boundary = b"--" + boundary
        self._delimiter = b"\r\n--" + boundary
        self._buffer = bytearray(b"\r\n")  # the first boundary needs no line break before it
        self._state = "preamble"
        self._field = b""
        self._out = bytearray()

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] != "http.request":
            return message
        more = message.get("more_body", False)
        self._buffer += message.get("body", b"")
        self._step(final=not more)
        body, self._out = bytes(self._out), bytearray()
        return {"type": "http.request", "body": body, "more_body": more}

    def _step(self, final: bool) -> None:
        buffer, out, delimiter = self._buffer, self._out, self._delimiter
        while True:
            state = self._state
            if state == "raw":
                out += buffer
                buffer.clear()
                return
            if state == "epilogue":
                buffer.clear()
                return
            if state == "after_delimiter":
                if len(buffer) < 2:
                    break
                if buffer[:2] == b"--":
                    out += b"--\r\n"
                    self._state = "epilogue"
                    continue
                end = buffer.find(b"\r\n")
                if end < 0:
                    break
                out += b"\r\n"
                del buffer[:end + 2]
                self._state = "headers"
                continue
            if state == "headers":
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(buffer) > self.MAX_HEADERS:
                        self._state = "raw"
                        continue
                    break
                headers = bytes(buffer[:end])
                out += headers + b"\r\n\r\n"
                del buffer[:end + 4]
                self._open_part(headers)
                continue
            # preamble, text or file: everything up to the next delimiter
            at = buffer.find(delimiter)
            if at < 0:
                keep = len(delimiter) - 1
                if state == "file" and len(buffer) > keep:
                    out += buffer[:len(buffer) - keep]
                    del buffer[:len(buffer) - keep]
                elif state == "text" and len(buffer) > self.MAX_TEXT_PART:
                    self._state = "file"
                    continue
                break
            if state == "text":
                out += self._normalised(bytes(buffer[:at]))
            elif state == "file":
                out += buffer[:at]
            out += (self._dash_boundary if state == "preamble" else delimiter)
            del buffer[:at + len(delimiter)]
            self._state = "after_delimiter"
        if final and buffer:  # an unfinished body: hand over what is left for the parser to judge
            out += buffer
            buffer.clear()

    def _open_part(self, headers: bytes) -> None:
        options: dict[bytes, bytes] = {}
        for line in headers.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-disposition":
                options = parse_options_header(value.strip())[1]
        self._field = options.get(b"name", b"")
        self._state = "file" if b"filename" in options else "text"

    def _normalised(self, raw: bytes) -> bytes:
        if self._field.decode("latin-1") in RAW_FIELDS or (raw.isascii() and _ASCII_CONTROL.search(raw) is None):
            return raw
        try:
            return clean_text(raw.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            return raw


def _content_type(scope: Scope) -> bytes:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower()
    return b""


class TextEdge:
    """ASGI middleware applying the text rule to query strings and to JSON, URL-encoded and
    multipart bodies."""

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
        if kind == b"multipart/form-data":
            boundary = _boundary(scope)
            # Content-Length stays as sent, for a limit checked from it; the parsers read to the end.
            if boundary:
                receive = _MultipartText(boundary, receive).receive
            await self.app(scope, receive, send)
            return
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
                        scope = _with_length(scope, len(body))
            elif not is_json and body and _needs_query_work(body):
                body = normalise_query(body.decode("latin-1")).encode("ascii")
                scope = _with_length(scope, len(body))
            receive = _replay(body, receive, None)
        await self.app(scope, receive, send)


def _with_length(scope: Scope, length: int) -> Scope:
    headers = [(name, value) for name, value in scope["headers"] if name != b"content-length"]
    return dict(scope, headers=headers + [(b"content-length", str(length).encode("ascii"))])


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
    request = Request(scope)
    if is_api(request):
        errors = [field_error(path, "invalid_character", SURROGATE_MESSAGE) for path in paths]
        return JSONResponse(api_body("validation_error", "Dữ liệu không hợp lệ.", errors), status_code=422)

    return templates.TemplateResponse(request, "error.html", {"status": 422, "message": SURROGATE_MESSAGE},
                                      status_code=422)
