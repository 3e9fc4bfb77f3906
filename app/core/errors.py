"""One error shape for the JSON API and Vietnamese error pages for HTML.

API errors look like:
    {"code": "validation_error", "message": "...", "errors": [{"path": "body.title", "code": "missing", "message": "..."}]}
"""
import logging
import uuid
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.exc import DataError, StatementError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.access import Forbidden, NotFound
from app.core.text import format_number
from app.core.uploads import TOO_LARGE_MESSAGE, RequestTooLarge
from app.core.versions import STALE_MESSAGE, StaleVersion


logger = logging.getLogger("loa")

INTERNAL_ERROR_MESSAGE = "Có lỗi không mong muốn ở máy chủ. Hãy thử lại; nếu lỗi lặp lại, báo mã tham chiếu cho quản trị."


def error_reference(request: Request) -> str:
    """The short reference of a request, shown to the user and written in the log: the request id
    when a middleware has set one, otherwise a new one."""
    return getattr(request.state, "request_id", None) or uuid.uuid4().hex[:12]


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None, **extra):
        self.status = status
        self.headers = headers
        self.code = code
        self.message = message
        self.errors = errors or []
        self.extra = extra


def stale_error(exc: StaleVersion, public) -> ApiError:
    """409 for an edit made from an older version: `current` holds the record as stored now
    (`public` turns it into its API form), or null when it was deleted meanwhile."""
    current = public(exc.current).model_dump(mode="json") if exc.current is not None else None
    return ApiError(409, "conflict", exc.message, [field_error("version", "stale_version", exc.message)],
                    current=current)


class LoginRequired(Exception):
    """An HTML page needs a signed-in user: redirect to the login page."""


def field_error(path: str, code: str, message: str) -> dict[str, str]:
    return {"path": path, "code": code, "message": message}


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


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
}


def _pydantic_message(err: dict[str, Any]) -> str:
    code, ctx = err.get("type", "invalid"), err.get("ctx") or {}
    if code == "greater_than_equal" and ctx.get("ge") not in (None, 0):
        return f"Phải từ {format_number(ctx['ge'])} trở lên."
    if code == "less_than_equal" and "le" in ctx:
        return f"Không được lớn hơn {format_number(ctx['le'])}."
    if code == "string_too_long" and "max_length" in ctx:
        return f"Nội dung quá dài: tối đa {format_number(ctx['max_length'])} ký tự."
    if code == "too_long" and "max_length" in ctx:
        return f"Quá nhiều mục: tối đa {format_number(ctx['max_length'])}."
    return PYDANTIC_MESSAGES.get(code, "Giá trị không hợp lệ.")


def errors_from_pydantic(exc: ValidationError | RequestValidationError) -> list[dict[str, str]]:
    out = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err.get("loc", ())) or "body"
        out.append(field_error(path, err.get("type", "invalid"), _pydantic_message(err)))
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


def _html_error(request: Request, status: int, message: str):
    from app.core.templating import templates

    return templates.TemplateResponse(
        request, "error.html", {"status": status, "message": message}, status_code=status
    )


def install(app) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        if not is_api(request):
            return _html_error(request, exc.status, exc.message)
        return JSONResponse(api_body(exc.code, exc.message, exc.errors, **exc.extra), status_code=exc.status,
                            headers=exc.headers)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        code, message = STATUS_MESSAGES[404]
        if is_api(request):
            return JSONResponse(api_body(code, message), status_code=404)
        return _html_error(request, 404, message)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        if is_api(request):
            return JSONResponse(api_body("forbidden", exc.message), status_code=403)
        return _html_error(request, 403, exc.message)

    @app.exception_handler(StaleVersion)
    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: Exception):
        """A safety net for writes without a page of their own for a conflict (a button rather than
        a form): another change of the same record came first, so nothing of this one was stored."""
        if is_api(request):
            return JSONResponse(api_body("conflict", STALE_MESSAGE,
                                         [field_error("version", "stale_version", STALE_MESSAGE)]), status_code=409)
        return _html_error(request, 409, "Bản ghi vừa được người khác thay đổi nên thao tác của bạn chưa được lưu. "
                                         "Hãy tải lại trang và thử lại.")

    @app.exception_handler(RequestTooLarge)
    async def _too_large(request: Request, exc: RequestTooLarge):
        # The body was not read to its end: the connection is closed after this answer.
        headers = {"Connection": "close"}
        if is_api(request):
            error = field_error("file", "too_large", TOO_LARGE_MESSAGE)
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
        if is_api(request):
            return JSONResponse(api_body(code, message), status_code=exc.status_code, headers=headers)
        return _html_error(request, exc.status_code, message)
