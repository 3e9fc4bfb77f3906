"""The wheel carries the templates, static files and migrations as data under <prefix>/share/loa
(found there by app/core/paths.py); everything else is in pyproject.toml."""
import os

from setuptools import setup


def data_files(*folders: str) -> list[tuple[str, list[str]]]:
    found = [("share/loa", ["alembic.ini"])]
    for folder in folders:
        for path, _dirs, files in sorted(os.walk(folder)):
            kept = [os.path.join(path, name) for name in sorted(files) if not name.endswith(".pyc")]
            if kept and "__pycache__" not in path:
                found.append((os.path.join("share/loa", path), kept))
    return found


setup(data_files=data_files("templates", "static", "migrations"))
