"""The production image: Loa's wheel carries everything it serves, and the Dockerfile builds and
serves where Docker (with a daemon) or buildah can build (skipped with a line elsewhere)."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
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


class Docker:
    """Builds with a Docker daemon; each command runs in a fresh container on the host's network."""

    def __init__(self, tag: str):
        self.tag = tag

    def has_base(self, name: str) -> bool:
        return any(subprocess.run(["docker", "image", verb, name], capture_output=True, timeout=600).returncode == 0
                   for verb in ("inspect", "pull"))

    def build(self, build_args: list[str]) -> None:
        subprocess.run(["docker", "build", "--quiet", *build_args, "--tag", self.tag, str(ROOT)], check=True,
                       timeout=1800)

    def config(self) -> dict:
        out = subprocess.run(["docker", "image", "inspect", self.tag], check=True, capture_output=True, text=True,
                             timeout=120).stdout
        return json.loads(out)[0]["Config"]

    def command(self, args: list[str], env: dict[str, str]) -> list[str]:
        flags = [flag for name, value in env.items() for flag in ("--env", f"{name}={value}")]
        return ["docker", "run", "--rm", "--network", "host", *flags, self.tag, *args]

    def remove(self) -> None:
        subprocess.run(["docker", "image", "rm", "-f", self.tag], capture_output=True, timeout=120)


class Buildah:
    """Builds without a daemon (chroot isolation, as in an unprivileged CI container); the commands
    run in one working container of the image, on the host's network, as the image's user."""

    def __init__(self, tag: str):
        self.tag = tag
        self.container = ""

    def has_base(self, name: str) -> bool:
        return any(subprocess.run(["buildah", *command, name], capture_output=True, timeout=600).returncode == 0
                   for command in (["inspect", "--type", "image"], ["pull", "--quiet"]))

    def build(self, build_args: list[str]) -> None:
        # The docker format keeps the HEALTHCHECK (the OCI format has no field for it).
        subprocess.run(["buildah", "bud", "--quiet", "--isolation", "chroot", "--format", "docker", "--layers",
                        *build_args, "--tag", self.tag, str(ROOT)], check=True, timeout=1800, stdout=subprocess.DEVNULL)
        self.container = subprocess.run(["buildah", "from", self.tag], check=True, capture_output=True, text=True,
                                        timeout=300).stdout.strip()

    def config(self) -> dict:
        out = subprocess.run(["buildah", "inspect", "--type", "image", self.tag], check=True, capture_output=True,
                             text=True, timeout=120).stdout
        return json.loads(out)["Docker"]["config"]

    def command(self, args: list[str], env: dict[str, str]) -> list[str]:
        flags = [flag for name, value in env.items() for flag in ("--env", f"{name}={value}")]
        return ["buildah", "run", "--isolation", "chroot", *flags, self.container, "--", *args]

    def remove(self) -> None:
        if self.container:
            subprocess.run(["buildah", "rm", self.container], capture_output=True, timeout=120)
        subprocess.run(["buildah", "rmi", "-f", self.tag], capture_output=True, timeout=120)


def _builder(tag: str):
    if shutil.which("docker") and subprocess.run(["docker", "info"], capture_output=True,
                                                  timeout=30).returncode == 0:
        return Docker(tag)
    if shutil.which("buildah"):
        return Buildah(tag)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


@pytest.mark.image
def test_the_image_builds_migrates_and_serves_as_a_non_root_user_from_a_built_wheel():
    image = _builder("localhost/loa:test-build")
    if image is None:
        pytest.skip("image build skipped: neither a Docker daemon nor buildah is here to build the Dockerfile")
    # Where no registry is reachable, LOA_PYTHON_IMAGE names an equivalent base already in the store.
    base = os.environ.get("LOA_PYTHON_IMAGE")
    if not image.has_base(base or "python:3.11-slim"):
        pytest.skip(f"image build skipped: the base image {base or 'python:3.11-slim'} can't be pulled here "
                    "(no registry reachable); set LOA_PYTHON_IMAGE to a Python 3.11 base in the local store")
    image.build(["--build-arg", f"PYTHON_IMAGE={base}"] if base else [])
    try:
        config = image.config()
        assert config["User"] == "loa"
        healthcheck = config["Healthcheck"]["Test"]
        assert healthcheck[0] == "CMD" and "/livez" in healthcheck[-1]

        def run(*args: str, **env: str) -> str:
            return subprocess.run(image.command(list(args), env), check=True, capture_output=True, text=True,
                                  timeout=300).stdout

        assert run("id", "-u").strip() == "10001"
        assert "backup" in run("loa", "--help") and "restore" in run("loa", "--help")
        # Loa itself is installed from its wheel, with the pages' files beside it, and is read-only.
        installed = run("python", "-c", "import json, importlib.metadata as m; "
                        "print(json.dumps([m.distribution('loa').read_text('direct_url.json'), "
                        "[str(f) for f in m.distribution('loa').files]]))")
        direct_url, files = json.loads(installed)
        assert "archive_info" in json.loads(direct_url) and json.loads(direct_url)["url"].endswith(".whl")
        assert not any("__editable__" in f for f in files)
        share = run("sh", "-c", "ls /opt/loa/share/loa; test -w /opt/loa || echo read-only; "
                    "test -w /srv/loa/media && echo media-writable").split()
        assert {"templates", "static", "migrations", "alembic.ini", "read-only", "media-writable"} <= set(share)

        # The one-shot migration, then the server with the image's own command, as in compose.yaml.
        port = _free_port()
        env = {"LOA_SECRET_KEY": "image-test-secret-0123456789abcdef", "DATABASE_URL": "sqlite:////tmp/loa.db",
               "PORT": str(port), "WEB_CONCURRENCY": "1"}
        assert config["Cmd"][:2] == ["sh", "-c"] and "db upgrade" not in config["Cmd"][-1]
        server = subprocess.Popen(image.command(["sh", "-c", "loa db upgrade && " + config["Cmd"][-1]], env), start_new_session=True, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    status, body = _get(f"http://127.0.0.1:{port}/readyz")
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(1)
            assert status == 200 and json.loads(body)["migrations"] == "ok"
            assert _get(f"http://127.0.0.1:{port}/livez")[0] == 200
            status, page = _get(f"http://127.0.0.1:{port}/login")
            assert status == 200 and "Đăng nhập" in page.decode()
            css = page.decode().split('href="/static/app.css', 1)[1].split('"', 1)[0]
            assert _get(f"http://127.0.0.1:{port}/static/app.css{css}")[0] == 200
            # The HEALTHCHECK command as Docker runs it inside the container.
            subprocess.run(image.command(healthcheck[1:], {"PORT": str(port)}), check=True, timeout=60)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
    finally:
        image.remove()
