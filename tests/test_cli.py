"""`loa user create` and `loa user passwd`."""
from sqlalchemy import select
from typer.testing import CliRunner

from app.accounts.models import User
from app.accounts.security import verify_password
from app.cli import cli
from tests.accounts_helpers import commune_a

runner = CliRunner()


def test_it_creates_a_reporter_of_a_commune(session):
    unit = commune_a(session)
    result = runner.invoke(cli, ["user", "create", "--username", "VHXH.XaA", "--role", "reporter",
                                 "--unit", str(unit.id), "--password", "mat-khau-dong-lenh"])
    assert result.exit_code == 0, result.output
    user = session.execute(select(User).where(User.username == "vhxh.xaa")).scalar_one()
    assert user.role == "reporter" and user.unit_id == unit.id
    assert verify_password(user.password_hash, "mat-khau-dong-lenh")


def test_a_missing_unit_fails_with_one_line_and_a_nonzero_status(session):
    result = runner.invoke(cli, ["user", "create", "--username", "thieu.donvi", "--role", "reporter",
                                 "--password", "mat-khau-dong-lenh"])
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == ["loa: --unit is required for every role but admin"]
    assert session.execute(select(User)).first() is None


def test_an_admin_needs_no_unit_and_the_password_is_asked_when_not_given(session):
    result = runner.invoke(cli, ["user", "create", "--username", "quantri2", "--role", "admin"],
                           input="mat-khau-hoi-lai\nmat-khau-hoi-lai\n")
    assert result.exit_code == 0, result.output
    assert "mat-khau-hoi-lai" not in result.output


def test_an_unknown_role_fails_with_one_line(session):
    result = runner.invoke(cli, ["user", "create", "--username", "ai.do", "--role", "boss", "--unit", "1"])
    assert result.exit_code != 0
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1


def test_passwd_changes_the_password(session):
    unit = commune_a(session)
    runner.invoke(cli, ["user", "create", "--username", "doi.mk", "--role", "viewer", "--unit", str(unit.id),
                        "--password", "mat-khau-cu-1"])
    result = runner.invoke(cli, ["user", "passwd", "doi.mk", "--password", "mat-khau-moi-2"])
    assert result.exit_code == 0, result.output
    user = session.execute(select(User).where(User.username == "doi.mk")).scalar_one()
    session.refresh(user)
    assert verify_password(user.password_hash, "mat-khau-moi-2")


def test_passwd_of_an_unknown_user_fails(session):
    result = runner.invoke(cli, ["user", "passwd", "khong.co", "--password", "mat-khau-moi-2"])
    assert result.exit_code != 0
