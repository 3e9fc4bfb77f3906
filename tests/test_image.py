"""The production image: Loa's wheel carries everything it serves, and the Dockerfile builds where
Docker can build (skipped with a line elsewhere)."""
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _checkout_files(folder: str) -> set[str]:
    return {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def test_the_wheel_carries_the_templates_static_files_and_migrations(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(tmp_path), str(ROOT)], check=True, timeout=300, capture_output=True)
    (wheel,) = tmp_path.glob("loa-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    data = {name.split(".data/data/share/loa/", 1)[1] for name in names if ".data/data/share/loa/" in name}
    expected = _checkout_files("templates") | _checkout_files("static") | _checkout_files("migrations")
    assert expected - data == set()
    assert "alembic.ini" in data
    assert "app/main.py" in names and "app/core/storage.py" in names


def test_every_dependency_is_pinned_with_hashes_in_the_lock_file():
    lock = (ROOT / "requirements.lock").read_text()
    pinned = {line.split("==")[0] for line in lock.splitlines() if "==" in line and not line.startswith(" ")}
    for name in ("fastapi", "sqlalchemy", "psycopg", "boto3", "prometheus-client", "python-json-logger", "uvicorn"):
        assert name in pinned, name
    assert lock.count("--hash=sha256:") > len(pinned)
    assert "file://" not in lock and "--find-links" not in lock


def _docker_can_build() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


def test_the_docker_image_builds_and_runs_as_a_non_root_user():
    if not _docker_can_build():
        pytest.skip("Docker image build skipped: no docker command or no Docker daemon to build with here")
    tag = "loa:test-build"
    subprocess.run(["docker", "build", "--quiet", "--tag", tag, str(ROOT)], check=True, timeout=1800)
    try:
        user = subprocess.run(["docker", "run", "--rm", tag, "id", "-u"], check=True, capture_output=True,
                              text=True, timeout=120).stdout.strip()
        assert user == "10001"
        help_text = subprocess.run(["docker", "run", "--rm", tag, "loa", "--help"], check=True,
                                   capture_output=True, text=True, timeout=120).stdout
        assert "backup" in help_text and "restore" in help_text
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, timeout=120)
