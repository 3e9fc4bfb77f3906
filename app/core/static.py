"""Static files with content-hashed URLs, so browsers cache them for a year and a change
to a file is picked up at once."""
import hashlib
from functools import lru_cache

from starlette.staticfiles import StaticFiles

from app.core.paths import ROOT

STATIC_DIR = ROOT / "static"


@lru_cache(maxsize=None)
def _digest(name: str) -> str:
    path = STATIC_DIR / name
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static_url(name: str) -> str:
    return f"/static/{name}?v={_digest(name)}"


class CachedStaticFiles(StaticFiles):
    async def get_response(self, path, scope):
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            query = scope.get("query_string", b"")
            if b"v=" in query:
                response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            else:
                response.headers["Cache-Control"] = "public, max-age=300"
        return response
