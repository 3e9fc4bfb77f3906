"""Evidence files: photos are re-encoded (≤ 1600 px, no metadata but the capture date) with a
thumbnail; PDF scans are kept as sent. Files live under the media directory, never in static/."""
import hashlib
import io
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from app.core.clock import VN_TZ
from app.core.config import get_settings
from app.core.errors import field_error

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 1600
THUMB_SIDE = 320
PHOTO_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "HEIF", "HEIC", "AVIF"}
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 36867
DATETIME = 306


@dataclass
class StoredFile:
    id: uuid.UUID
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    path: str
    thumb_path: str | None = None
    width: int | None = None
    height: int | None = None
    captured_at: datetime | None = None


def _invalid(message: str, code: str):
    from app.activities.services import Invalid

    return Invalid([field_error("evidence", code, message)])


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def media_root() -> Path:
    return Path(get_settings().media_dir)


def absolute(relative: str) -> Path:
    return media_root() / relative


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


def _open_image(content: bytes):
    from PIL import Image, ImageOps, UnidentifiedImageError

    _register_heif()
    try:
        image = Image.open(io.BytesIO(content))
        if image.format not in PHOTO_FORMATS:
            raise _invalid("Chỉ nhận ảnh JPEG, PNG, WebP, HEIC hoặc tệp PDF.", "unsupported_type")
        captured = _captured_at(image)
        image = ImageOps.exif_transpose(image)
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError, SyntaxError):
        raise _invalid("Tệp không phải ảnh hoặc PDF hợp lệ (chỉ nhận JPEG, PNG, WebP, HEIC, PDF).", "unsupported_type")
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    return image, captured


def _jpeg(image, side: int) -> tuple[bytes, int, int]:
    copy = image.copy()
    copy.thumbnail((side, side))
    out = io.BytesIO()
    # Saved without exif/icc: GPS, camera and owner data do not leave the phone's file.
    copy.convert("RGB").save(out, "JPEG", quality=82, optimize=True, progressive=True)
    return out.getvalue(), copy.width, copy.height


def check(content: bytes) -> None:
    """Refuses what `store` would refuse, cheaply (image headers only), before anything is saved."""
    if len(content) > MAX_BYTES:
        raise _invalid("Tệp lớn hơn 10 MB. Hãy chụp lại ảnh hoặc chọn tệp nhỏ hơn.", "too_large")
    if not content:
        raise _invalid("Tệp rỗng.", "empty")
    if content[:5] == b"%PDF-":
        return
    from PIL import Image, UnidentifiedImageError

    _register_heif()
    try:
        with Image.open(io.BytesIO(content)) as image:
            supported = image.format in PHOTO_FORMATS
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        supported = False
    if not supported:
        raise _invalid("Chỉ nhận ảnh JPEG, PNG, WebP, HEIC hoặc tệp PDF.", "unsupported_type")


def _register_heif() -> None:
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:  # HEIC is then refused as unsupported
        pass


def store(activity_id: uuid.UUID, content: bytes, filename: str) -> StoredFile:
    check(content)
    evidence_id = uuid.uuid4()
    folder = Path("evidence") / str(activity_id)
    (media_root() / folder).mkdir(parents=True, exist_ok=True)
    name = Path(filename or "tep").name[:200]
    if content[:5] == b"%PDF-":
        relative = folder / f"{evidence_id}.pdf"
        absolute(str(relative)).write_bytes(content)
        return StoredFile(evidence_id, "pdf", name, "application/pdf", len(content), str(relative))
    image, captured = _open_image(content)
    data, width, height = _jpeg(image, MAX_SIDE)
    thumb, _, _ = _jpeg(image, THUMB_SIDE)
    relative = folder / f"{evidence_id}.jpg"
    thumb_relative = folder / f"{evidence_id}_thumb.jpg"
    absolute(str(relative)).write_bytes(data)
    absolute(str(thumb_relative)).write_bytes(thumb)
    stem = Path(name).stem or "anh"
    return StoredFile(evidence_id, "photo", f"{stem}.jpg", "image/jpeg", len(data), str(relative),
                      str(thumb_relative), width, height, captured)


def remove(evidence: list) -> None:
    for e in evidence:
        for relative in (e.path, e.thumb_path):
            if relative:
                absolute(relative).unlink(missing_ok=True)
