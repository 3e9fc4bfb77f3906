"""Settings refuse a development secret outside development."""
import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import DEFAULT_SECRET, InsecureSettings, Settings


def test_production_refuses_the_default_secret():
    with pytest.raises(InsecureSettings, match="LOA_SECRET_KEY"):
        Settings(LOA_ENV="production", LOA_SECRET_KEY=DEFAULT_SECRET).check_secure()


def test_production_accepts_a_long_random_secret():
    Settings(LOA_ENV="production", LOA_SECRET_KEY="x7Gq2vR9pL0sT4wZ8mN1").check_secure()


def test_serve_stops_with_one_line_when_the_secret_is_missing(monkeypatch):
    from app.core import config

    monkeypatch.setenv("LOA_ENV", "production")
    monkeypatch.setenv("LOA_SECRET_KEY", "")
    config.get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["serve"])
    finally:
        config.get_settings.cache_clear()
    assert result.exit_code == 1
    assert "LOA_SECRET_KEY" in result.output
    assert "Traceback" not in result.output


def test_every_command_has_help():
    runner = CliRunner()
    for args in (["--help"], ["db", "upgrade", "--help"], ["units", "load", "--help"], ["demo", "--help"],
                 ["serve", "--help"], ["user", "create", "--help"], ["user", "passwd", "--help"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, args
        assert "Usage" in result.output


def test_postgresql_connections_per_process_are_budgeted(monkeypatch):
    """Each process opens at most LOA_DB_POOL_SIZE + LOA_DB_MAX_OVERFLOW connections (5 + 5 unless
    set), so N processes stay below the server's max_connections."""
    from app.core import config
    from app.core.db import build_engine

    config.get_settings.cache_clear()
    try:
        default = build_engine("postgresql://loa@127.0.0.1:5432/loa")
        assert (default.pool.size(), default.pool._max_overflow) == (5, 5)
        monkeypatch.setenv("LOA_DB_POOL_SIZE", "3")
        monkeypatch.setenv("LOA_DB_MAX_OVERFLOW", "2")
        config.get_settings.cache_clear()
        budgeted = build_engine("postgresql://loa@127.0.0.1:5432/loa")
        assert (budgeted.pool.size(), budgeted.pool._max_overflow) == (3, 2)
    finally:
        config.get_settings.cache_clear()


def test_a_pool_size_of_zero_is_refused(monkeypatch):
    from pydantic import ValidationError

    monkeypatch.setenv("LOA_DB_POOL_SIZE", "0")
    with pytest.raises(ValidationError, match="LOA_DB_POOL_SIZE"):
        Settings()
