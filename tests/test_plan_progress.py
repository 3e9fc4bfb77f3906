"""Each target row of the plan page shows its own metric, target and progress (approved work
only, labelled), and the API's progress gives one row per target."""
import re
from datetime import date

from tests.factories import HAI_PHONG, login, make_activity, make_plan, make_task, make_user, token
from tests.plans_helpers import legacy_commune_and_successor


def _plan_with_three_targets(session):
    _, commune = legacy_commune_and_successor(session)
    plan = make_plan(session, HAI_PHONG)
    task = make_task(session, plan, unit_ids=(commune.id,), activity_types=["broadcast"],
                     targets=(("activities", 4, "plan"), ("airings", 10, "plan"), ("minutes", 200, "plan")))
    for status, airings in (("approved", 3), ("approved", 2), ("submitted", 4)):
        make_activity(session, commune.id, status=status, airings=airings, minutes_per_airing=10,
                      start_date=date(2026, 3, 2), task_ids=(task.id,))
    return plan, task


def _progress_cells(page: str) -> list[str]:
    cells = re.findall(r'<td class="progress"[^>]*>(.*?)</td>', page, flags=re.S)
    return [re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in cells]


def test_each_target_row_of_the_plan_page_shows_its_own_figure(client, session):
    plan, _ = _plan_with_three_targets(session)
    login(client, make_user(session, "reviewer", HAI_PHONG, username="thamdinh.hp"))
    page = client.get(f"/plans/{plan.id}").text
    cells = _progress_cells(page)
    assert len(cells) == 3, cells
    # approved only: 2 of 4 activities, 5 of 10 airings, 50 of 200 minutes; the submitted entry is shown apart
    assert "50%" in cells[0] and "2/4" in cells[0]
    assert "50%" in cells[1] and "5/10" in cells[1]
    assert "25%" in cells[2] and "50/200" in cells[2]
    assert "chờ duyệt" in cells[2] and "40" in cells[2]
    assert "Tiến độ (đã duyệt)" in page


def test_the_progress_api_gives_each_target_its_own_row(client, session):
    plan, task = _plan_with_three_targets(session)
    headers = token(client, make_user(session, "reviewer", HAI_PHONG, username="thamdinh.hp"))
    body = client.get("/api/v1/progress", params={"plan_id": plan.id, "period": "plan"}, headers=headers).json()
    figures = {t["metric"]: (t["target"], t["approved"], t["submitted"]) for t in body["tasks"]}
    assert figures == {"activities": (4, 2, 1), "airings": (10, 5, 4), "minutes": (200, 50, 40)}
