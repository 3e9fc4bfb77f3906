"""Evidence files: photos are re-encoded (≤ 1600 px, no metadata but the capture date) with a
thumbnail; PDF scans are kept as sent. Files are kept in evidence storage (app/core/storage.py: the
media directory or an object store), never in static/."""
import ctypes
import hashlib
import io
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from app.core.errors import Invalid
from app.core.clock import VN_TZ
from app.core.errors import field_error
from app.core.text import clean_text
from app.core.storage import get_storage
from app.core.uploads import MAX_FILES, TOO_MANY_MESSAGE

MAX_BYTES = 10 * 1024 * 1024
# Bigger images are refused from their header, before they are decoded. A JPEG is decoded at a
# reduced scale, so 100 megapixels (above the largest phone sensors) cost little; PNG, WebP and HEIC
# are decoded whole, so their limit (50 megapixels, above a 48-megapixel phone photo) bounds memory.
MAX_PIXELS = 100_000_000
MAX_PIXELS_DECODED_WHOLE = 50_000_000
JPEG_FORMATS = ("JPEG", "MPO")
# Photos converted at once per process (each costs CPU), and the memory their decoded pictures may
# take together: a conversion reserves what its picture will take (known from the header) and waits
# while others hold the rest, so a worker grows by about this much whatever is uploaded.
CONVERSIONS = threading.BoundedSemaphore(2)
DECODE_BUDGET = 256 * 1024 * 1024
BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "LA": 2, "PA": 2, "La": 2, "I;16": 2, "I;16B": 2}  # others: 4
MAX_SIDE = 1600
THUMB_SIDE = 320
PHOTO_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "HEIF", "HEIC", "AVIF"}
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 36867
DATETIME = 306


@dataclass
class Prepared:
    """A file checked and converted, ready to be written: a photo as its resized JPEG and thumbnail,
    a PDF as sent. `sha256` is the digest of the file as sent (the same file again is one evidence)."""
    kind: str
    filename: str
    content_type: str
    data: bytes
    sha256: str
    thumb: bytes | None = None
    width: int | None = None
    height: int | None = None
    captured_at: datetime | None = None


@dataclass
class StoredFile:
    """The storage keys a prepared file was written under."""
    id: uuid.UUID
    path: str
    thumb_path: str | None = None


def _invalid(message: str, code: str) -> Invalid:
    return Invalid([field_error("evidence", code, message)])


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _captured_at(image) -> datetime | None:
    try:
        exif = image.getexif()
        raw = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL) or exif.get(DATETIME)
        if not raw:
            return None
        local = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
        return local.replace(tzinfo=VN_TZ).astimezone(timezone.utc)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


class DecodeBudget:
    """Bytes of decoded pictures a process holds at once (see DECODE_BUDGET). A picture bigger than
    the whole budget waits until it is alone."""

    def __init__(self, total: int):
        self.total = total
        self.used = 0
        self._changed = threading.Condition()

    @contextmanager
    def reserve(self, amount: int) -> Iterator[None]:
        amount = min(amount, self.total)
        with self._changed:
            self._changed.wait_for(lambda: self.used + amount <= self.total)
            self.used += amount
        try:
            yield
        finally:
            with self._changed:
                self.used -= amount
                idle = self.used == 0
                self._changed.notify_all()
            if idle:
                _return_memory()


DECODING = DecodeBudget(DECODE_BUDGET)


def _return_memory() -> None:
    """Hands the freed picture memory back to the system: glibc keeps large freed blocks for reuse
    otherwise, and a worker that converted four big photos once would stay 1 GB large."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


def _reduce_factor(image) -> int:
    """The whole-number factor a picture can be shrunk by (averaging blocks of pixels) and keep its
    long side at least MAX_SIDE, for the final, finer resampling."""
    return max(1, max(image.size) // MAX_SIDE)


def _decoded_bytes(image) -> int:
    """Memory the decoded picture and its first reduction take, from the header alone."""
    pixels = image.width * image.height
    size = BYTES_PER_PIXEL.get(image.mode, 4) * pixels
    return size + size // _reduce_factor(image) ** 2


@contextmanager
def _opened(content: bytes) -> Iterator[Any]:
    """The picture, read as far as its header (a JPEG set to decode at a reduced scale)."""
    from PIL import Image, UnidentifiedImageError

    _register_heif()
    try:
        image = Image.open(io.BytesIO(content))
        if image.format not in PHOTO_FORMATS:
            raise _invalid("Chỉ nhận ảnh JPEG, PNG, WebP, HEIC hoặc tệp PDF.", "unsupported_type")
        if image.format in JPEG_FORMATS:
            image.draft(None, (MAX_SIDE, MAX_SIDE))  # decode at a reduced scale: less memory and time
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError, SyntaxError):
        raise _invalid("Tệp không phải ảnh hoặc PDF hợp lệ (chỉ nhận JPEG, PNG, WebP, HEIC, PDF).", "unsupported_type")
    with image:
        yield image


def _open_image(image):
    """(The picture decoded and shrunk to at most MAX_SIDE, upright, in RGB or L; its capture time)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        # Inside the memory reservation: a PNG's metadata may follow its pixels, so reading it decodes them.
        captured = _captured_at(image)
        factor = _reduce_factor(image)
        if factor > 1:
            # Shrink by a whole factor first, straight from the decoded picture. Pillow would first
            # copy a picture with transparency whole to weight its colours by their opacity; a photo
            # about to be laid on white needs no such care, so the plain average is taken.
            image.load()
            reduced = image.im.reduce((factor, factor), (0, 0) + image.size)
            image = image._new(reduced)
        # Shrink before anything else copies the picture (turning it upright, flattening alpha).
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        image = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError, SyntaxError):
        raise _invalid("Tệp không phải ảnh hoặc PDF hợp lệ (chỉ nhận JPEG, PNG, WebP, HEIC, PDF).", "unsupported_type")
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    return image, captured


def _check_pixels(image) -> None:
    limit = MAX_PIXELS if image.format in JPEG_FORMATS else MAX_PIXELS_DECODED_WHOLE
    if image.width * image.height > limit:
        raise _invalid(f"Ảnh có độ phân giải quá lớn (trên {limit // 1_000_000} megapixel). "
                       "Hãy chụp lại hoặc thu nhỏ ảnh.", "too_many_pixels")


def _capture_exif(captured: datetime | None) -> bytes:
    """An EXIF block holding only the capture time (local time, as cameras write it)."""
    if captured is None:
        return b""
    from PIL import Image

    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = captured.astimezone(VN_TZ).strftime("%Y:%m:%d %H:%M:%S")
    return exif.tobytes()


def _jpeg(image, side: int, captured: datetime | None = None) -> tuple[bytes, int, int]:
    copy = image.copy()
    copy.thumbnail((side, side))
    out = io.BytesIO()
    # Saved without the phone's exif and icc (GPS, camera and owner data do not leave the phone's
    # file); only the capture time is written back.
    copy.convert("RGB").save(out, "JPEG", quality=82, optimize=True, progressive=True,
                             exif=_capture_exif(captured))
    return out.getvalue(), copy.width, copy.height


def check(content: bytes) -> None:
    """The cheap first step of `prepare`: size, emptiness, and the image's kind and size from its
    header, before anything is decoded."""
    if len(content) > MAX_BYTES:
        raise _invalid("Tệp lớn hơn 10 MB. Hãy chụp lại ảnh hoặc chọn tệp nhỏ hơn.", "too_large")
    if not content:
        raise _invalid("Tệp rỗng.", "empty")
    if content[:5] == b"%PDF-":
        _check_pdf(content)
        return
    from PIL import Image, UnidentifiedImageError

    _register_heif()
    try:
        with Image.open(io.BytesIO(content)) as image:
            supported = image.format in PHOTO_FORMATS
            _check_pixels(image)
    except Image.DecompressionBombError:
        raise _invalid("Ảnh có độ phân giải quá lớn. Hãy chụp lại hoặc thu nhỏ ảnh.", "too_many_pixels")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        supported = False
    if not supported:
        raise _invalid("Chỉ nhận ảnh JPEG, PNG, WebP, HEIC hoặc tệp PDF.", "unsupported_type")


def _check_pdf(content: bytes) -> None:
    """The whole file must read as a PDF with at least one page: a file that only starts like one
    (an HTML page behind `%PDF-`, a truncated scan) is refused."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content))
        pages = [page.mediabox for page in reader.pages]
    except Exception:  # pypdf raises many kinds of errors on a damaged or fake file, and recursion errors
        pages = []
    if not pages:
        raise _invalid("Tệp PDF bị hỏng hoặc không phải PDF thật. Hãy quét hoặc xuất lại tệp.", "invalid_pdf")


def _register_heif() -> None:
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:  # HEIC is then refused as unsupported
        pass


MAX_NAME = 200


def _display_name(name: str) -> str:
    """The file name shown beside the entry, normalised like every text and shortened to 200
    characters, keeping the extension (a phone's name for a file is not the officer's doing)."""
    if len(name) <= MAX_NAME:
        return name
    suffix = Path(name).suffix[:16]
    return name[:MAX_NAME - len(suffix)].rstrip() + suffix


def prepare_all(files: list[tuple[bytes, str]]) -> list[Prepared]:
    """Every file of one request checked and converted, or Invalid for the first bad one (or for
    more files than one request may carry)."""
    if len(files) > MAX_FILES:
        raise _invalid(TOO_MANY_MESSAGE, "too_many_files")
    return [prepare(content, filename) for content, filename in files]


def prepare(content: bytes, filename: str) -> Prepared:
    """Checks a file and converts a photo (resized, metadata stripped but the capture time), writing
    nothing: a form can refuse a bad file before it saves the entry the file belongs to."""
    check(content)
    name = clean_text(Path(filename).name).strip() or "tep"
    digest = sha256(content)
    if content[:5] == b"%PDF-":
        return Prepared("pdf", _display_name(name), "application/pdf", content, digest)
    with CONVERSIONS, _opened(content) as original, DECODING.reserve(_decoded_bytes(original)):
        image, captured = _open_image(original)
        data, width, height = _jpeg(image, MAX_SIDE, captured)
        thumb, _, _ = _jpeg(image, THUMB_SIDE)
        del image
        original.close()  # frees the decoded picture before the memory is handed back
    return Prepared("photo", _display_name(f"{Path(name).stem or 'anh'}.jpg"), "image/jpeg", data, digest, thumb,
                    width, height, captured)


def store(activity_id: uuid.UUID, file: Prepared) -> StoredFile:
    """Writes a prepared file (and its thumbnail) to evidence storage."""
    evidence_id = uuid.uuid4()
    storage = get_storage()
    folder = f"evidence/{activity_id}"
    key = f"{folder}/{evidence_id}.{'pdf' if file.kind == 'pdf' else 'jpg'}"
    storage.save(key, file.data, file.content_type)
    thumb_key = None
    if file.thumb is not None:
        thumb_key = f"{folder}/{evidence_id}_thumb.jpg"
        storage.save(thumb_key, file.thumb, "image/jpeg")
    return StoredFile(evidence_id, key, thumb_key)


def remove(evidence: list) -> None:
    storage = get_storage()
    for e in evidence:
        for key in (e.path, e.thumb_path):
            if key:
                storage.delete(key)
