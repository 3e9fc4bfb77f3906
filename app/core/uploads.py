"""Bounds on uploaded files, enforced before they reach the disk.

A multipart request (evidence photos and scans, a plan's document) may carry at most
`MAX_REQUEST_BYTES`: a larger declared Content-Length is refused before any byte is read, and a
body sent without one (chunked) is cut off as soon as it passes the bound, so the multipart parser
never spools more than that to its temporary files. Each file is then checked against its own
limit and the number of files per request against `MAX_FILES`.
"""
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_FILES = 10
MAX_REQUEST_BYTES = 50 * 1024 * 1024
TOO_LARGE_MESSAGE = ("Dữ liệu gửi lên quá lớn: mỗi lần gửi tối đa 50 MB và 10 tệp, mỗi ảnh hoặc tệp PDF tối đa "
                     "10 MB. Hãy gửi ít tệp hơn hoặc chọn tệp nhỏ hơn.")
TOO_MANY_MESSAGE = f"Mỗi lần gửi tối đa {MAX_FILES} tệp. Hãy gửi phần còn lại ở lần sau."


class RequestTooLarge(Exception):
    """A request body above the bound: 413."""


class UploadLimit:
    """Pure ASGI middleware bounding multipart request bodies (see the module docstring)."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_REQUEST_BYTES):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_multipart(scope):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            # Raised where the form is read, so the route's exception handlers answer in the API's
            # shape or as a Vietnamese page.
            if declared is not None and declared > self.max_bytes:
                raise RequestTooLarge()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise RequestTooLarge()
            return message

        await self.app(scope, bounded_receive, send)


def _is_multipart(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return value.lower().startswith(b"multipart/")
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
