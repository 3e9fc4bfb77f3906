"""One error shape for the JSON API and Vietnamese error pages for HTML.

API errors look like:
    {"code": "validation_error", "message": "...", "errors": [{"path": "body.title", "code": "missing", "message": "..."}]}
"""
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.accounts.access import Forbidden, NotFound


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None, **extra):
        self.status = status
        self.headers = headers
        self.code = code
        self.message = message
        self.errors = errors or []
        self.extra = extra


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


def _validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        out.append(field_error(".".join(loc), err.get("type", "invalid"), err.get("msg", "")))
    return out


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
        errors = _validation_errors(exc)
        if is_api(request):
            return JSONResponse(api_body("validation_error", "Dữ liệu không hợp lệ.", errors), status_code=422)
        return _html_error(request, 422, "Dữ liệu gửi lên không hợp lệ: " + "; ".join(e["path"] for e in errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code, message = STATUS_MESSAGES.get(exc.status_code, ("error", "Có lỗi xảy ra."))
        if isinstance(exc.detail, str) and exc.detail and exc.status_code not in (404, 405):
            message = exc.detail
        headers = getattr(exc, "headers", None)
        if is_api(request):
            return JSONResponse(api_body(code, message), status_code=exc.status_code, headers=headers)
        return _html_error(request, exc.status_code, message)
