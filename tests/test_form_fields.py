"""The typed fields of the HTML forms (app/core/forms.py): what each reads, what it refuses and with
which message; and that the fields are named types, never calls written inside an annotation."""
import ast
from datetime import date
from pathlib import Path

import pytest
from pydantic import BaseModel

from app.core.forms import DATE_MESSAGE, form_date, form_int, form_money, parse_form

APP = Path(__file__).resolve().parent.parent / "app"

Count = form_int("Nhập một số nguyên.", below=1000, too_big="Tối đa 999.")
Id = form_int("Mã không hợp lệ.", grouped=False)
Amount = form_money("Nhập số tiền.")
Day = form_date()


class Typed(BaseModel):
    count: Count = None
    id: Id = None
    amount: Amount = None
    day: Day = None


@pytest.mark.parametrize("field, text, value", [
    ("count", "9 9 9", 999), ("count", " 12 ", 12), ("id", "42", 42), ("amount", "3.500.000.000", 3_500_000_000),
    ("amount", "500.000 đồng", 500_000), ("amount", "25 000 000đ", 25_000_000), ("amount", "2.000.000 VNĐ", 2_000_000),
    ("day", "31/12/2026", date(2026, 12, 31)), ("day", "2026-12-31", date(2026, 12, 31)), ("count", "", None),
])
def test_a_typed_value_is_read(field, text, value):
    typed, errors = parse_form(Typed, {field: text})
    assert errors == {} and getattr(typed, field) == value


@pytest.mark.parametrize("field, text, message", [
    ("count", "1.500", "Tối đa 999."), ("count", "²", "Nhập một số nguyên."), ("count", "١٢", "Nhập một số nguyên."),
    ("count", "9" * 5000, "Nhập một số nguyên."), ("id", "1.500", "Mã không hợp lệ."),
    ("amount", "ba tỷ", "Nhập số tiền."), ("amount", "1đ000", "Nhập số tiền."), ("amount", "-5", "Nhập số tiền."),
    ("day", "1/1/99999999999999999999", DATE_MESSAGE), ("day", "31/13/2026", DATE_MESSAGE),
])
def test_a_value_that_is_not_one_gets_the_fields_message(field, text, message):
    typed, errors = parse_form(Typed, {field: text})
    assert typed is None and errors == {field: message}


def _annotations(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, (ast.AnnAssign, ast.arg)) and node.annotation is not None:
            yield node.annotation
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            yield node.returns


def test_no_annotation_in_app_is_a_call():
    """`unit_id: form_int("Chọn đơn vị.") = None` reads to pyflakes as a string annotation; the field
    type is named once at module level instead (`UnitId = form_int(...)`)."""
    calls = [f"{path.relative_to(APP.parent)}:{annotation.lineno}: {ast.unparse(annotation)}"
             for path in sorted(APP.rglob("*.py"))
             for annotation in _annotations(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(annotation, ast.Call)]
    assert calls == []


def test_pyflakes_reads_every_annotation_in_app():
    pyflakes = pytest.importorskip("pyflakes.api")
    from pyflakes.reporter import Reporter

    class Messages:
        def __init__(self):
            self.lines: list[str] = []

        def write(self, text: str) -> None:
            self.lines.append(text)

    found = Messages()
    pyflakes.checkRecursive([str(APP)], Reporter(found, found))
    assert [line for line in "".join(found.lines).splitlines() if "forward annotation" in line] == []
