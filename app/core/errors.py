"""One error shape for the JSON API and Vietnamese error pages for HTML.

API errors look like:
    {"code": "validation_error", "message": "...", "errors": [{"path": "body.title", "code": "missing", "message": "..."}]}
"""
import logging
import uuid
from typing import Any

from typing_extensions import TypedDict

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import DataError, StatementError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.text import format_number
from app.core.uploads import TOO_LARGE_MESSAGE, RequestTooLarge
from app.core.versions import STALE_MESSAGE, StaleVersion


logger = logging.getLogger("loa")

INTERNAL_ERROR_MESSAGE = "Có lỗi không mong muốn ở máy chủ. Hãy thử lại; nếu lỗi lặp lại, báo mã tham chiếu cho quản trị."


def error_reference(request: Request) -> str:
    """The short reference of a request, shown to the user and written in the log: the request id
    when a middleware has set one, otherwise a new one."""
    return getattr(request.state, "request_id", None) or uuid.uuid4().hex[:12]


class FieldError(TypedDict):
    """One refused value: `path` names where it was sent (`body.details.channel`, `query.cursor`),
    `code` is stable for programs, `message` is Vietnamese for people."""

    path: str
    code: str
    message: str


class ErrorBody(BaseModel):
    """Every 4xx and 5xx of the API. A 409 adds `current` (the record as stored now, or null when it
    was deleted meanwhile), a 429 `retry_after` (seconds), a 500 `reference` (the line to look for
    in the log)."""

    code: str
    message: str
    errors: list[FieldError] = Field(default_factory=list)
    current: dict[str, Any] | None = None
    retry_after: int | None = None
    reference: str | None = None


class ApiError(Exception):
    """An answer in the error envelope. The family below is what services raise; the one handler
    in `install` turns any of them into the envelope (API) or a Vietnamese error page (HTML)."""

    def __init__(self, status: int, code: str, message: str, errors: list[FieldError] | None = None,
                 headers: dict[str, str] | None = None, **extra):
        super().__init__(message)
        self.status = status
        self.headers = headers
        self.code = code
        self.message = message
        self.errors = errors or []
        self.extra = extra


class Invalid(ApiError):
    """The data breaks a rule: 422 with one error per field."""

    def __init__(self, errors: list[FieldError], message: str = "Dữ liệu không hợp lệ."):
        super().__init__(422, "validation_error", message, errors)

    def under(self, prefix: str) -> "Invalid":
        """The same errors with their paths below `prefix` (`body`, `body.3`): services name the
        fields as the forms do, the API names where in the request they were sent."""
        return Invalid([prefixed(e, prefix) for e in self.errors], self.message)


class Conflict(ApiError):
    """409: a stale version, a state the action does not start from, or a different body under an
    existing id. `current` is the record as stored now (None when it was deleted); `reason` is the
    code of the field error, on `path`."""

    def __init__(self, message: str, current: Any = None, code: str = "conflict", path: str = "body.version"):
        super().__init__(409, "conflict", message, [field_error(path, code, message)])
        self.current = current
        self.reason = code
        self.path = path

    def with_current(self, current: Any, path: str | None = None) -> "Conflict":
        return Conflict(self.message, current, self.reason, path or self.path)


class NotFound(ApiError):
    """The thing does not exist for this user (missing or outside the scope): 404."""

    def __init__(self, message: str = "Không tìm thấy."):
        super().__init__(404, "not_found", message)


class Forbidden(ApiError):
    """The user sees the thing but the role does not allow this action: 403."""

    def __init__(self, message: str = "Bạn không có quyền thực hiện thao tác này."):
        super().__init__(403, "forbidden", message)


class TooMany(ApiError):
    """429: too many attempts; `retry_after` seconds until the next one is heard."""

    def __init__(self, message: str, retry_after: int | None = None, code: str = "too_many_requests"):
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        super().__init__(429, code, message, headers=headers, retry_after=retry_after)


ERROR_DESCRIPTIONS = {
    400: "A parameter the API did not hand out (a cursor)",
    401: "No valid token (`Authorization: Bearer <token>`)",
    403: "The role or scope does not allow this action",
    404: "No such record in your scope",
    409: "The record changed meanwhile or is not in a state this action starts from (`current` holds it)",
    413: "The body is too large",
    422: "Validation errors, one per field",
    429: "Too many attempts (`Retry-After` in seconds)",
}
NAMED_STATUSES = {"bad_request": 400, "unauthorized": 401, "forbidden": 403, "not_found": 404, "conflict": 409,
                  "too_large": 413, "invalid": 422, "too_many": 429}


def errors_doc(*statuses: int, **described: str) -> dict[int, dict[str, Any]]:
    """The `responses` of an operation for the error statuses it may answer, each in the error
    envelope; `conflict="..."` (or another name of NAMED_STATUSES) says more than the default."""
    wanted = {status: ERROR_DESCRIPTIONS[status] for status in statuses}
    wanted.update({NAMED_STATUSES[name]: text for name, text in described.items()})
    return {status: {"model": ErrorBody, "description": text} for status, text in sorted(wanted.items())}


def stale_error(exc: StaleVersion, public) -> Conflict:
    """409 for an edit made from an older version: `current` holds the record as stored now
    (`public` turns it into its API form), or null when it was deleted meanwhile."""
    return Conflict(exc.message, public(exc.current) if exc.current is not None else None, "stale_version")


def prefixed(error: FieldError, prefix: str) -> FieldError:
    return field_error(f"{prefix}.{error['path']}" if error["path"] else prefix, error["code"], error["message"])


class LoginRequired(Exception):
    """An HTML page needs a signed-in user: redirect to the login page."""


def field_error(path: str, code: str, message: str) -> FieldError:
    return FieldError(path=path, code=code, message=message)


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def api_error_response(exc: ApiError) -> JSONResponse:
    extra = dict(exc.extra)
    if isinstance(exc, Conflict):
        current = exc.current
        extra["current"] = current.model_dump(mode="json") if hasattr(current, "model_dump") else current
    return JSONResponse(api_body(exc.code, exc.message, exc.errors, **extra), status_code=exc.status,
                        headers=exc.headers)


def api_body(code: str, message: str, errors=None, **extra) -> dict[str, Any]:
    body = {"code": code, "message": message, "errors": errors or []}
    body.update(extra)
    return body


PYDANTIC_MESSAGES = {
    "missing": "Cần nhập thông tin này.",
    "int_parsing": "Phải là số nguyên.",
    "int_type": "Phải là số nguyên.",
    "int_from_float": "Phải là số nguyên (không có phần thập phân).",
    "greater_than_equal": "Không được là số âm.",
    "date_parsing": "Ngày không hợp lệ.",
    "date_from_datetime_parsing": "Ngày không hợp lệ.",
    "date_from_datetime_inexact": "Ngày không hợp lệ.",
    "date_type": "Ngày không hợp lệ.",
    "uuid_parsing": "Mã định danh không hợp lệ.",
    "uuid_type": "Mã định danh không hợp lệ.",
    "string_too_long": "Nội dung quá dài.",
    "string_too_short": "Nội dung quá ngắn.",
    "enum": "Giá trị không hợp lệ.",
    "list_type": "Cần một danh sách.",
    "dict_type": "Cần một đối tượng.",
    "string_type": "Cần một chuỗi ký tự.",
    "json_invalid": "JSON không hợp lệ.",
    "model_attributes_type": "Cần một đối tượng JSON.",
    "bool_parsing": "Cần giá trị đúng/sai.",
    "datetime_parsing": "Thời điểm không hợp lệ.",
    "datetime_from_date_parsing": "Thời điểm không hợp lệ.",
    "float_parsing": "Phải là số.",
    "bool_not_allowed": "Không nhận giá trị đúng/sai ở đây: hãy gửi một số hoặc một chuỗi.",
    "unknown_field": "Trường này không có trong API.",
    "literal_error": "Giá trị không hợp lệ.",
}
# Pydantic's codes that Loa answers under a name of its own.
RENAMED_CODES = {"extra_forbidden": "unknown_field"}


def _pydantic_message(err: dict[str, Any]) -> str:
    code, ctx = _code(err), err.get("ctx") or {}
    if code == "greater_than_equal" and ctx.get("ge") not in (None, 0):
        return f"Phải từ {format_number(ctx['ge'])} trở lên."
    if code == "less_than_equal" and "le" in ctx:
        return f"Không được lớn hơn {format_number(ctx['le'])}."
    if code == "string_too_long" and "max_length" in ctx:
        return f"Nội dung quá dài: tối đa {format_number(ctx['max_length'])} ký tự."
    if code == "too_long" and "max_length" in ctx:
        return f"Quá nhiều mục: tối đa {format_number(ctx['max_length'])}."
    return PYDANTIC_MESSAGES.get(code, "Giá trị không hợp lệ.")


def _code(err: dict[str, Any]) -> str:
    code = err.get("type", "invalid")
    return RENAMED_CODES.get(code, code)


def errors_from_pydantic(exc: ValidationError | RequestValidationError) -> list[dict[str, str]]:
    out = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err.get("loc", ()))
        out.append(field_error(path, _code(err), _pydantic_message(err)))
    return out


STATUS_MESSAGES = {
    400: ("bad_request", "Yêu cầu không hợp lệ."),
    401: ("not_authenticated", "Cần đăng nhập."),
    403: ("forbidden", "Bạn không có quyền thực hiện thao tác này."),
    404: ("not_found", "Không tìm thấy."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ."),
    409: ("conflict", "Xung đột dữ liệu."),
    413: ("too_large", "Tệp quá lớn."),
    422: ("validation_error", "Dữ liệu không hợp lệ."),
    429: ("too_many_requests", "Quá nhiều yêu cầu."),
}


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path: several routes share a path (GET and POST
    /api/v1/activities), and the router names only the first one's."""
    from starlette.routing import Match

    def served(method: str) -> bool:
        scope = {**request.scope, "method": method}
        return any(route.matches(scope)[0] == Match.FULL for route in request.app.routes)
    return [method for method in HTTP_METHODS if served(method)]


def _html_error(request: Request, status: int, message: str):
    from app.core.templating import templates

    return templates.TemplateResponse(
        request, "error.html", {"status": status, "message": message}, status_code=status
    )


def install(app) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        """The one handler of the error family (Invalid, Conflict, NotFound, Forbidden, TooMany)."""
        if not is_api(request):
            return _html_error(request, exc.status, exc.message)
        return api_error_response(exc)

    @app.exception_handler(StaleVersion)
    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: Exception):
        """A safety net for writes without a page of their own for a conflict (a button rather than
        a form): another change of the same record came first, so nothing of this one was stored."""
        if is_api(request):
            return JSONResponse(api_body("conflict", STALE_MESSAGE,
                                         [field_error("body.version", "stale_version", STALE_MESSAGE)]),
                                status_code=409)
        return _html_error(request, 409, "Bản ghi vừa được người khác thay đổi nên thao tác của bạn chưa được lưu. "
                                         "Hãy tải lại trang và thử lại.")

    @app.exception_handler(RequestTooLarge)
    async def _too_large(request: Request, exc: RequestTooLarge):
        # The body was not read to its end: the connection is closed after this answer.
        headers = {"Connection": "close"}
        if is_api(request):
            error = field_error("body.file", "too_large", TOO_LARGE_MESSAGE)
            return JSONResponse(api_body("too_large", TOO_LARGE_MESSAGE, [error]), status_code=413, headers=headers)
        response = _html_error(request, 413, TOO_LARGE_MESSAGE)
        response.headers["Connection"] = "close"
        return response

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("HX-Request"):
            from fastapi import Response

            return Response(status_code=401, headers={"HX-Redirect": f"/login?next={target}"})
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = errors_from_pydantic(exc)
        if is_api(request):
            return JSONResponse(api_body("validation_error", "Dữ liệu không hợp lệ.", errors), status_code=422)
        return _html_error(request, 422, "Dữ liệu gửi lên không hợp lệ: " + "; ".join(e["path"] for e in errors))

    @app.exception_handler(OverflowError)
    @app.exception_handler(StatementError)
    async def _out_of_range(request: Request, exc: Exception):
        """A safety net: a value that passed validation but does not fit the database (a number or
        a date beyond its range) is the sender's error, not the server's. Other database errors
        stay server errors."""
        if isinstance(exc, StatementError) and not (isinstance(exc, DataError) or isinstance(exc.orig, OverflowError)):
            raise exc
        code, message = "out_of_range", "Có giá trị vượt quá giới hạn lưu trữ (ví dụ một số hoặc một ngày quá lớn)."
        if "NUL" in str(getattr(exc, "orig", "")):  # PostgreSQL refuses NUL in text; the edge removes it
            code, message = "invalid_character", "Có ký tự NUL không lưu được trong nội dung gửi lên."
        if is_api(request):
            return JSONResponse(api_body(code, message), status_code=422)
        return _html_error(request, 422, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        """Anything not handled above: logged with a short reference that the answer repeats, so
        that a user's report leads to the log line. The answer says nothing of the error itself."""
        reference = error_reference(request)
        logger.exception("unexpected error, reference %s: %s %s", reference, request.method, request.url.path,
                         exc_info=exc, extra={"reference": reference})
        if is_api(request):
            return JSONResponse(api_body("internal_error", INTERNAL_ERROR_MESSAGE, reference=reference),
                                status_code=500)
        from app.core.templating import templates

        return templates.TemplateResponse(request, "500.html", {"reference": reference}, status_code=500)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code, message = STATUS_MESSAGES.get(exc.status_code, ("error", "Có lỗi xảy ra."))
        if isinstance(exc.detail, str) and exc.detail and exc.status_code not in (404, 405):
            message = exc.detail
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        if is_api(request):
            return JSONResponse(api_body(code, message), status_code=exc.status_code, headers=headers)
        response = _html_error(request, exc.status_code, message)
        response.headers.update(headers or {})
        return response
