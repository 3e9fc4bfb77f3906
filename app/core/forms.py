"""Posted HTML forms: the form as a dependency, and the typed fields that read a form's text into a
Pydantic model.

The form as a dependency lets an endpoint doing database work be a plain `def` (run in the thread
pool, off the event loop) and still read the form, which is read asynchronously. Starlette keeps the
parsed form on the request, so the CSRF check and the endpoint share one parse.

A page reads its typed text through a model of `form_int`, `form_money`, `form_date` and `form_uuid`
fields (`parse_form`): an empty box is None (or the field's "missing" message when it is required), a bad
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
from starlette.exceptions import HTTPException

from app.core.errors import FieldError, errors_from_pydantic


# A plan's review form carries every task with its partners and targets: at a plan's bounds (500
# tasks of a dozen boxes, 100 partners of 2, 200 targets of 5 and 50 activity types each) about
# 650,000 fields, where Starlette's default stops at 1,000. The body's size is bounded apart
# (`MAX_REQUEST_BYTES`).
MAX_FORM_FIELDS = 1_000_000
UNREADABLE_FORM = "Biểu mẫu gửi lên không đọc được (quá nhiều ô hoặc một ô quá dài)."


async def read_form(request: Request) -> FormData:
    """The posted form, parsed once per request (Starlette keeps it: the CSRF check and the endpoint
    share it); one it cannot parse is a 400 with a Vietnamese message."""
    try:
        return await request.form(max_fields=MAX_FORM_FIELDS)
    except HTTPException as exc:
        raise HTTPException(exc.status_code, UNREADABLE_FORM) from exc


Form = Annotated[FormData, Depends(read_form)]

M = TypeVar("M", bound=BaseModel)

INT_MESSAGE = "Nhập một số nguyên."
DATE_MESSAGE = "Ngày không hợp lệ (dd/mm/yyyy)."
UUID_MESSAGE = "Mã định danh không hợp lệ."
# Errors raised by the fields below carry the form's own message (marked in their context).
FORM_MESSAGE = {"form": True}
# ASCII digits, short enough for int() (which refuses more than 4,300).
DIGITS = re.compile(r"[0-9]{1,4000}")


def _refuse(code: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(code, message, FORM_MESSAGE)


def _text(value: Any) -> str:
    return str(value if value is not None else "").strip()


def _empty(required: str | None) -> None:
    """An empty box: None, or the field's "missing" message when it must be filled."""
    if required:
        raise _refuse("missing", required)


def _int_reader(message: str, required: str | None, below: int | None, grouped: bool, too_big: str | None):
    def read(value: Any) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = re.sub(r"[\s.,]" if grouped else r"\s", "", _text(value))
        if not text:
            return _empty(required)
        if not DIGITS.fullmatch(text):  # not str.isdigit(): "²" and "١" are digits to it, not to int()
            raise _refuse("int_parsing", message)
        if below is not None and int(text) >= below:
            raise _refuse("int_parsing", too_big or message)
        return int(text)
    return read


def form_int(message: str = INT_MESSAGE, required: str | None = None, below: int | None = None,
             grouped: bool = True, too_big: str | None = None):
    """A whole number as typed: spaces and thousand separators ("1.500.000") are dropped, unless
    it is an id (`grouped=False`: digits only). One at or above `below` gets `too_big` (or `message`).

    Name the type once at module level (`Quantity = form_int(...)`) and annotate with the name: a
    call inside an annotation reads to linters as a string annotation."""
    if below is None and not grouped:
        below = 2**31  # an id: what the database's integer columns hold
    return Annotated[int | None, BeforeValidator(_int_reader(message, required, below, grouped, too_big))]


# "3.500.000.000 đồng", "500.000đ", "2 000 000 VNĐ": the unit after an amount is not part of the number.
MONEY_UNIT = re.compile(r"\s*(đồng|vnđ|vnd|đ)\s*$", re.IGNORECASE)


def form_money(message: str = INT_MESSAGE, required: str | None = None, below: int | None = None,
               too_big: str | None = None):
    """An amount of đồng as typed: a whole number with thousand separators, and its unit if written."""
    read = _int_reader(message, required, below, True, too_big)

    def read_money(value: Any) -> int | None:
        return read(MONEY_UNIT.sub("", value) if isinstance(value, str) else value)
    return Annotated[int | None, BeforeValidator(read_money)]


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
            except (ValueError, TypeError, OverflowError):
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
