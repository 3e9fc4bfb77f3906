"""Security headers on every response: what the browser may run, embed, sniff and tell other sites.

Loa's pages run only its own scripts (htmx, the offline scripts, app.js): no inline script or
event-handler attribute, no eval. Styles allow inline `style` attributes, because progress bars
are drawn with a width and htmx adds its indicator style; a style cannot run code. Pages cannot be
framed by another site (clickjacking), responses are never sniffed into another type, and links
to other sites carry no referrer (URLs hold filters and ids).
"""
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# The interactive API documentation is FastAPI's Swagger UI page, which loads its script and style
# from a CDN and starts with an inline script. It shows no data of its own.
DOCS_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
    "img-src 'self' data: https://fastapi.tiangolo.com",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
])
DOCS_PATHS = ("/api/docs", "/api/docs/oauth2-redirect")

COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    """Pure ASGI middleware (no extra task per request, streaming responses untouched). A header a
    route set itself (e.g. a stricter policy for an evidence file) is kept."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = (DOCS_POLICY if scope["path"] in DOCS_PATHS else CONTENT_SECURITY_POLICY).encode()
        extra = COMMON + [(b"content-security-policy", policy)]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

# An uploaded file opened in the browser runs nothing and reaches nothing, even if it is not what it
# claims to be.
UPLOADED_FILE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def uploaded_file_headers() -> dict[str, str]:
    return {"Content-Security-Policy": UPLOADED_FILE_POLICY, "X-Content-Type-Options": "nosniff"}
