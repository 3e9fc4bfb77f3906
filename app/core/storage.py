"""Where evidence files and plan documents are kept: a folder on this machine (LOA_MEDIA_DIR, the
default) or a bucket of any S3-compatible object store (MinIO, Ceph, a cloud bucket) when
LOA_STORAGE=s3, so that several machines serve the same files. Files are named by keys such as
"evidence/<activity id>/<evidence id>.jpg", the same in both, and kept in the database as such."""
import uuid
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Protocol

from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from app.core.config import Settings, get_settings

CHUNK = 64 * 1024


class Storage(Protocol):
    def save(self, key: str, data: bytes, content_type: str) -> None: ...
    def read(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def keys(self) -> Iterator[str]: ...
    def check_writable(self) -> None: ...
    def response(self, key: str, media_type: str, filename: str | None, inline: bool,
                 headers: dict[str, str]) -> Response: ...


def _checked(key: str) -> str:
    """A key is a relative path without '..': nothing outside the store can be named."""
    path = PurePosixPath(key)
    if not key or path.is_absolute() or ".." in path.parts:
        raise ValueError(f"invalid storage key {key!r}")
    return str(path)


class LocalStorage:
    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / _checked(key)

    def save(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
        partial.write_bytes(data)
        partial.replace(path)

    def read(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                yield path.relative_to(self.root).as_posix()

    def check_writable(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        probe = self.root / f".ready-{uuid.uuid4().hex}"
        probe.write_bytes(b"ok")
        probe.unlink()

    def response(self, key, media_type, filename, inline, headers) -> Response:
        path = self.path(key)
        if not path.is_file():
            raise KeyError(key)
        return FileResponse(path, media_type=media_type, headers=headers, filename=filename,
                            content_disposition_type="inline" if inline else "attachment")


class S3Storage:
    """An S3 bucket through boto3. Downloads are streamed through Loa, or, with
    LOA_S3_SIGNED_URLS, answered by a redirect to a URL signed for LOA_S3_URL_SECONDS."""

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str = "us-east-1",
                 access_key_id: str | None = None, secret_access_key: str | None = None, prefix: str = "",
                 signed_urls: bool = False, url_seconds: int = 300):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.signed_urls = signed_urls
        self.url_seconds = url_seconds
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url or None, region_name=region,
            aws_access_key_id=access_key_id or None, aws_secret_access_key=secret_access_key or None,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 3, "mode": "standard"},
                          connect_timeout=5, read_timeout=30))

    def _key(self, key: str) -> str:
        return self.prefix + _checked(key)

    @staticmethod
    def _missing(exc) -> bool:
        return exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")

    def save(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type)

    def _get(self, key: str):
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if self._missing(exc):
                raise KeyError(key) from None
            raise

    def read(self, key: str) -> bytes:
        return self._get(key)["Body"].read()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if self._missing(exc):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def keys(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix):]
                if not PurePosixPath(key).name.startswith("."):
                    yield key

    def check_writable(self) -> None:
        key = self._key(f".ready-{uuid.uuid4().hex}")
        self.client.put_object(Bucket=self.bucket, Key=key, Body=b"ok")
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def response(self, key, media_type, filename, inline, headers) -> Response:
        from urllib.parse import quote

        disposition = "inline" if inline else "attachment"
        if filename:
            disposition += f"; filename*=utf-8''{quote(filename)}"
        if self.signed_urls:
            if not self.exists(key):
                raise KeyError(key)
            url = self.client.generate_presigned_url(
                "get_object", ExpiresIn=self.url_seconds,
                Params={"Bucket": self.bucket, "Key": self._key(key), "ResponseContentType": media_type,
                        "ResponseContentDisposition": disposition})
            return RedirectResponse(url, status_code=307, headers={"Cache-Control": "private, no-store"})
        obj = self._get(key)
        body = obj["Body"]

        def chunks():
            try:
                yield from body.iter_chunks(CHUNK)
            finally:
                body.close()

        return StreamingResponse(chunks(), media_type=media_type, headers={
            **headers, "Content-Length": str(obj["ContentLength"]), "Content-Disposition": disposition})


def build_storage(settings: Settings) -> Storage:
    if settings.storage == "s3":
        if not settings.s3_bucket:
            raise ValueError("LOA_S3_BUCKET must name a bucket when LOA_STORAGE=s3")
        return S3Storage(settings.s3_bucket, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region,
                         access_key_id=settings.s3_access_key_id, secret_access_key=settings.s3_secret_access_key,
                         prefix=settings.s3_prefix, signed_urls=settings.s3_signed_urls,
                         url_seconds=settings.s3_url_seconds)
    if settings.storage != "local":
        raise ValueError(f"LOA_STORAGE must be local or s3, not {settings.storage!r}")
    return LocalStorage(settings.media_dir)


@lru_cache
def get_storage() -> Storage:
    return build_storage(get_settings())
