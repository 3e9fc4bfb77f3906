"""Text helpers: the one normalisation of text entering Loa, accent-free search keys, Vietnamese
number and date formatting."""
import re
import unicodedata


# The one rule for text entering Loa (see normalise_text); passwords are exempt but for surrogates.
# CR LF, CR, Word's manual line break (vertical tab), form feed, NEL, the Unicode separators.
_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x85\u2028\u2029]")
# NUL, the other C0 and C1 controls but tab and line breaks, and the two non-characters XML refuses.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Anything the rule changes or refuses but decomposed letters: one search tells the common case.
NEEDS_WORK = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff\ud800-\udfff]")


class UnpairedSurrogate(ValueError):
    """Text holding half of a UTF-16 pair (JSON's "\\udfff"): it cannot be stored as UTF-8, so it is
    refused rather than guessed."""


def normalise_text(text: str) -> str:
    """The one normalisation of every text entering Loa: Unicode NFC (Vietnamese typed with
    combining marks and precomposed letters are stored alike); CR LF, CR, vertical tab, form feed,
    NEL and the Unicode line and paragraph separators become a newline; NUL and every other control
    character but tab and newline (and U+FFFE, U+FFFF) is removed; an unpaired surrogate raises
    UnpairedSurrogate.
    Surrounding spaces are the fields' business. Cheap in the common case: text that needs nothing is
    returned as it came after one search (and an NFC check if it is not ASCII)."""
    if text.isprintable() or NEEDS_WORK.search(text) is None:  # isprintable: a fast "no control, no surrogate"
        if text.isascii() or unicodedata.is_normalized("NFC", text):
            return text
        return unicodedata.normalize("NFC", text)
    if _SURROGATE.search(text) is not None:
        raise UnpairedSurrogate(text)
    text = _CONTROL.sub("", _LINE_BREAKS.sub("\n", text))
    return text if text.isascii() or unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def check_surrogates(text: str) -> str:
    """Passwords are compared as typed (no NFC, nothing removed) but must still be encodable."""
    if not text.isascii() and _SURROGATE.search(text) is not None:
        raise UnpairedSurrogate(text)
    return text


def clean_text(text: str) -> str:
    """Text as it is stored: normalise_text, with any unpaired surrogate (which the edge refuses
    before it gets here) replaced by U+FFFD so that output built from it can always be written."""
    try:
        return normalise_text(text)
    except UnpairedSurrogate:
        return normalise_text(_SURROGATE.sub("\ufffd", text))


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
