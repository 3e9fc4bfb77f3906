"""Vietnamese text helpers: accent-free search keys and number/date formatting."""
import re
import unicodedata


_LINE_BREAKS = re.compile(r"[\x0b\x0c\u2028\u2029]")  # Word's manual line break, form feed, Unicode separators
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Typed or pasted text without control characters (text pasted from Word brings some): line
    breaks become newlines, the rest are removed. Tabs and newlines stay."""
    return _CONTROL.sub("", _LINE_BREAKS.sub("\n", text))


def search_key(text: str | None) -> str:
    """Lower-case, accent-free, single-spaced form used for search: 'Xã Đại An' -> 'xa dai an'."""
    if not text:
        return ""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = re.sub(r"[^0-9a-zA-Z]+", " ", text.lower())
    return text.strip()


def format_number(value: int | float | None) -> str:
    """Vietnamese grouping: 3500000000 -> '3.500.000.000'."""
    if value is None:
        return ""
    if isinstance(value, float) and not value.is_integer():
        whole, frac = f"{value:,.1f}".split(".")
        return whole.replace(",", ".") + "," + frac
    return f"{int(value):,}".replace(",", ".")


def format_date(value) -> str:
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y")


def format_date_long(value) -> str:
    """'ngày 20 tháng 11 năm 2024' as in administrative documents."""
    if value is None:
        return ""
    return f"ngày {value.day:02d} tháng {value.month:02d} năm {value.year}"
