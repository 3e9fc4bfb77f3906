"""Posted HTML forms: the form as a dependency, and the typed fields that read a form's text into a
Pydantic model.

The form as a dependency lets an endpoint doing database work be a plain `def` (run in the thread
pool, off the event loop) and still read the form, which is read asynchronously. Starlette keeps the
parsed form on the request, so the CSRF check and the endpoint share one parse.

A page reads its typed text through a model of `form_int`, `form_date` and `form_uuid` fields
(`parse_form`): an empty box is None (or the field's "missing" message when it is required), a bad
value gives a Vietnamese message under the field's path, and the page shows the form again with what
was typed.
"""
import re
import uuid
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, BeforeValidator, ValidationError
from pydantic_core import PydanticCustomError
from starlette.datastructures import FormData

from app.core.errors import FieldError, errors_from_pydantic


async def read_form(request: Request) -> FormData:
    return await request.form()


Form = Annotated[FormData, Depends(read_form)]

M = TypeVar("M", bound=BaseModel)

INT_MESSAGE = "Nhập một số nguyên."
DATE_MESSAGE = "Ngày không hợp lệ (dd/mm/yyyy)."
UUID_MESSAGE = "Mã định danh không hợp lệ."
# Errors raised by the fields below carry the form's own message (marked in their context).
FORM_MESSAGE = {"form": True}


def _refuse(code: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(code, message, FORM_MESSAGE)


def _text(value: Any) -> str:
    return str(value if value is not None else "").strip()


def _empty(required: str | None) -> None:
    """An empty box: None, or the field's "missing" message when it must be filled."""
    if required:
        raise _refuse("missing", required)


def form_int(message: str = INT_MESSAGE, required: str | None = None, below: int | None = None,
             grouped: bool = True):
    """A whole number as typed: spaces and thousand separators ("1.500.000") are dropped, unless
    it is an id (`grouped=False`: digits only)."""
    def read(value: Any) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = re.sub(r"[\s.,]" if grouped else r"\s", "", _text(value))
        if not text:
            return _empty(required)
        if not text.isdigit() or (below is not None and int(text) >= below):
            raise _refuse("int_parsing", message)
        return int(text)
    return Annotated[int | None, BeforeValidator(read)]


def form_date(message: str = DATE_MESSAGE, required: str | None = None, day_first: bool = True):
    """A day as YYYY-MM-DD (what a date box sends) or, typed by hand, dd/mm/yyyy."""
    def read(value: Any) -> date | None:
        if isinstance(value, date):
            return value
        text = _text(value)
        if not text:
            return _empty(required)
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        if day_first:
            try:
                return date(*reversed([int(x) for x in re.split(r"[/.-]", text)]))
            except (ValueError, TypeError):
                pass
        raise _refuse("date_parsing", message)
    return Annotated[date | None, BeforeValidator(read)]


def form_uuid(message: str = UUID_MESSAGE):
    def read(value: Any) -> uuid.UUID | None:
        if isinstance(value, uuid.UUID):
            return value
        text = _text(value)
        if not text:
            return None
        try:
            return uuid.UUID(text)
        except ValueError:
            raise _refuse("uuid_parsing", message)
    return Annotated[uuid.UUID | None, BeforeValidator(read)]


FormInt = form_int()
FormDate = form_date()
FormUuid = form_uuid()


def form_errors(model: type[M], data: Any) -> tuple[M | None, list[FieldError]]:
    """The typed values as `model`, or None and the errors (`legal_bases.0.date`, code, message)."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        errors = errors_from_pydantic(exc)
        for raw, err in zip(exc.errors(), errors):
            if (raw.get("ctx") or {}).get("form"):
                err["message"] = raw["msg"]
        return None, errors


def parse_form(model: type[M], data: Any) -> tuple[M | None, dict[str, str]]:
    """The typed values as `model`, or None and the messages by field path (the first one of each)."""
    parsed, errors = form_errors(model, data)
    messages: dict[str, str] = {}
    for err in errors:
        messages.setdefault(err["path"], err["message"])
    return parsed, messages


def parse_value(field: Any, value: Any) -> Any:
    """One value read as a form field type (`FormDate`, `FormUuid`…), or None when it is not one."""
    from pydantic import TypeAdapter

    try:
        return TypeAdapter(field).validate_python(value)
    except ValidationError:
        return None
