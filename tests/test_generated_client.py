"""A Python client generated from /api/v1/openapi.json with a standard generator
(openapi-python-client) logs, lists, edits, submits and approves an activity: the document is
complete enough for an integrator to work from it alone.

Skipped when the generator is not installed, except on CI (CI set), where it must run.
"""
import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core.clock import today
from tests.activities_helpers import commune_pair
from tests.factories import make_user, token

GENERATOR = shutil.which("openapi-python-client") or str(Path(sys.executable).parent / "openapi-python-client")


def _generate(spec: dict, into: Path):
    if not Path(GENERATOR).exists():
        if os.environ.get("CI"):
            pytest.fail("openapi-python-client is not installed: `pip install -e '.[dev]'`")
        pytest.skip("openapi-python-client is not installed: the generated client is not tested")
    import json

    path = into / "openapi.json"
    path.write_text(json.dumps(spec))
    done = subprocess.run([GENERATOR, "generate", "--path", str(path), "--meta", "none", "--output-path",
                           str(into / "loa_client")], capture_output=True, text=True, timeout=300)
    assert (into / "loa_client" / "client.py").exists(), done.stdout + done.stderr
    sys.path.insert(0, str(into))
    try:
        return importlib.import_module("loa_client")
    finally:
        sys.path.remove(str(into))


def _client(package, app, headers):
    api = package.AuthenticatedClient(base_url="http://testserver", token="set below")
    # The generated client sends its requests through any httpx client: here one bound to the app.
    api.set_httpx_client(TestClient(app, base_url="http://testserver", headers=headers))
    return api


def test_a_generated_client_logs_lists_edits_submits_and_approves_an_activity(client, session, tmp_path):
    package = _generate(client.get("/api/v1/openapi.json").json(), tmp_path)
    from loa_client.api.activities import (  # noqa: PLC0415 (generated just above)
        create_api_v1_activities_post as create, list_activities_api_v1_activities_get as listing,
        submit_api_v1_activities_activity_id_submit_post as submit, update_api_v1_activities_activity_id_patch as update,
    )
    from loa_client.api.reviews import approve_api_v1_activities_activity_id_approve_post as approve
    from loa_client.models import (
        ActivityPublic, ActivityUpdate, ApproveRequest, BroadcastActivity, BroadcastDetails, ErrorBody,
    )
    from loa_client.models.broadcast_details_channel import BroadcastDetailsChannel

    _, commune = commune_pair(session)
    reporter = _client(package, client.app, token(client, make_user(session, "reporter", commune.id, username="to_ha")))
    admin = _client(package, client.app, token(client, make_user(session, "admin", None, username="quan_tri")))

    entry = BroadcastActivity(type_="broadcast", title="Phát thanh chính sách giảm nghèo", start_date=today(),
                              unit_id=commune.id, airings=2, minutes_per_airing=15,
                              details=BroadcastDetails(channel=BroadcastDetailsChannel.COMMUNE_LOUDSPEAKER))
    created = create.sync(client=reporter, body=entry)
    assert isinstance(created, ActivityPublic), created
    assert created.minutes == 30 and created.status == "draft" and created.version == 1

    page = listing.sync(client=reporter, type_="broadcast")
    assert [item.id for item in page.items] == [created.id]

    edited = update.sync(created.id, client=reporter, body=ActivityUpdate(version=created.version, airings=3))
    assert isinstance(edited, ActivityPublic) and edited.minutes == 45 and edited.version == 2
    stale = update.sync(created.id, client=reporter, body=ActivityUpdate(version=1, airings=4))
    assert isinstance(stale, ErrorBody) and stale.code == "conflict" and stale.errors[0].path == "body.version"

    sent = submit.sync(created.id, client=reporter, version=edited.version)
    assert isinstance(sent, ActivityPublic) and sent.status == "submitted"
    refused = approve.sync(created.id, client=reporter, body=ApproveRequest())
    assert isinstance(refused, ErrorBody) and refused.code == "forbidden"
    approved = approve.sync(created.id, client=admin, body=ApproveRequest())
    assert isinstance(approved, ActivityPublic) and approved.status == "approved"
