"""The outermost layer of every HTTP request: its request id (taken from X-Request-ID when it is
short and plain, made up otherwise, kept in `request.state.request_id` and sent back in the
X-Request-ID header), one log line on "loa.request" and the request metrics. It wraps even the
500 page, so an unhandled error is logged once, with its traceback and the request id."""
import logging
import re
import time
import uuid

from sqlalchemy import inspect
from sqlalchemy.exc import NoInspectionAvailable
from starlette.routing import Mount

from app.core import metrics

log = logging.getLogger("loa.request")
error_log = logging.getLogger("loa.error")
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"x-request-id":
            try:
                sent = value.decode("ascii")
            except UnicodeDecodeError:
                break
            if SAFE_REQUEST_ID.fullmatch(sent):
                return sent
            break
    return uuid.uuid4().hex


def route_template(scope) -> str:
    """The route's path with its placeholders ("/api/v1/activities/{activity_id}"): what logs and
    metrics group by. Paths that match no route share one name, so scanners cannot grow the metrics."""
    route = scope.get("route")
    # `path_format` drops a placeholder's convertor ("{activity_id:uuid}" → "{activity_id}").
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if path is None:
        return "unmatched"
    if isinstance(route, Mount):
        return path + "/{path}"
    return path


def user_id(user) -> int | None:
    """The signed-in user's id, read from the identity map: never a query, even when the request's
    session has rolled back and closed."""
    if user is None:
        return None
    try:
        identity = inspect(user).identity
    except NoInspectionAvailable:
        return getattr(user, "id", None)
    return identity[0] if identity else None


class RequestContext:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_from(scope["headers"])
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode())
        answer = {"status": 500, "bytes": 0}

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            elif message["type"] == "http.response.body":
                answer["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            answer["status"] = 500
            self._finish(scope, request_id, answer, started, failed=True)
            raise
        self._finish(scope, request_id, answer, started)

    @staticmethod
    def _finish(scope, request_id: str, answer: dict, started: float, failed: bool = False) -> None:
        seconds = time.perf_counter() - started
        route, method, status = route_template(scope), scope["method"], answer["status"]
        metrics.REQUESTS.labels(method, route, str(status)).inc()
        metrics.LATENCY.labels(method, route).observe(seconds)
        fields = {"request_id": request_id, "user_id": user_id(scope["state"].get("user")), "method": method, "route": route,
                  "path": scope["path"], "status": status, "duration_ms": round(seconds * 1000, 2),
                  "bytes": answer["bytes"]}
        if failed:
            error_log.exception("unhandled error", extra=fields)
        log.info("%s %s %s", method, scope["path"], status, extra=fields)
