"""Every place that shows a figure shows the same number. The expected figures are computed here
from the activity rows the test wrote, in plain Python (not with Loa's query code), for several
filters — a province and a year, a commune and a quarter, one task, the current and the as-of
boundaries across 1/7/2025, a split commune, per-unit and whole-task targets — and compared with
the progress API and page, the dashboard API and page, completeness, the plan page, the print and
Word reports, the Excel summary and the CSV.
"""
import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

import docx
import lxml.html
import openpyxl
import pytest
from sqlalchemy import func, select

from app.plans.models import Target
from app.units.models import CURRENT_START, Unit, UnitSuccessor
from tests.factories import HAI_DUONG, HAI_PHONG, NINH_BINH, login, make_activity, make_plan, make_task, make_user, token
from tests.plans_helpers import legacy_commune_and_successor

PLAN_START, PLAN_END = date(2025, 1, 1), date(2026, 12, 31)
LAST_DAY = date(2026, 10, 31)


@dataclass
class Row:
    unit: int
    type: str
    status: str
    day: date
    tasks: tuple[int, ...]
    airings: int = 0
    minutes: int = 0
    sessions: int = 0
    participants: int = 0
    copies: int = 0
    cost_vnd: int = 0

    def get(self, metric: str) -> int:
        return 1 if metric == "activities" else getattr(self, metric)


@dataclass
class World:
    l1: int          # a legacy commune that went whole into c1
    c1: int
    split: int       # a legacy commune split between several current communes, default successor cd
    cd: int
    c2: int
    plan: object
    broadcast: object    # T1: per-unit airings and activities, whole-task minutes (broadcasts only)
    training: object     # T2: per-unit participants, whole-task sessions
    rows: list[Row] = field(default_factory=list)
    targets: dict = field(default_factory=dict)  # target id -> (task id, metric, quantity, period, per_unit, type)

    def current_key(self, unit: int) -> int:
        return {self.l1: self.c1, self.split: self.cd}.get(unit, unit)

    def subtree(self, root: int) -> set[int]:
        """Units counted under `root` (a current unit covers its predecessors, whatever the boundaries)."""
        if root == HAI_PHONG:
            return {self.l1, self.c1, self.split, self.cd, self.c2}
        return {root} | {p for p, successors in ((self.l1, {self.c1}), (self.split, {self.cd, self.other}))
                         if root in successors}

    other: int = 0   # the split commune's other successor


def _world(session) -> World:
    l1, c1 = legacy_commune_and_successor(session)
    split_ids = select(UnitSuccessor.predecessor_id).group_by(UnitSuccessor.predecessor_id).having(func.count() > 1)
    split = session.execute(select(Unit).where(Unit.province_id == HAI_DUONG, Unit.level == "commune",
                                               Unit.id.in_(split_ids)).order_by(Unit.id).limit(1)).scalar_one()
    successors = set(session.execute(select(UnitSuccessor.successor_id)
                                     .where(UnitSuccessor.predecessor_id == split.id)).scalars())
    cd = split.current_commune_id
    assert c1.id not in successors and cd in successors
    c2 = session.execute(select(Unit.id).where(Unit.province_id == HAI_PHONG, Unit.level == "commune",
                                               Unit.valid_to.is_(None), Unit.id.not_in(successors | {c1.id}))
                         .order_by(Unit.id).limit(1)).scalar_one()
    plan = make_plan(session, HAI_PHONG, title="Kế hoạch truyền thông giảm nghèo 2025-2026", period_start=PLAN_START,
                     period_end=PLAN_END)
    units = (l1.id, split.id, c1.id, c2, cd)
    broadcast = make_task(session, plan, unit_ids=units, targets=(("airings", 24, "year"), ("activities", 4, "year")),
                          title="Phát thanh trên loa truyền thanh xã", activity_types=["broadcast"])
    training = make_task(session, plan, unit_ids=(c1.id, c2), targets=(("participants", 100, "year"),),
                         title="Tập huấn cán bộ giảm nghèo", activity_types=["training"], position=1)
    session.add(Target(task_id=broadcast.id, metric="minutes", quantity=3000, period="plan", per_unit=False,
                       activity_type="broadcast"))
    session.add(Target(task_id=training.id, metric="sessions", quantity=10, period="year", per_unit=False))
    session.commit()
    w = World(l1.id, c1.id, split.id, cd, c2, plan, broadcast, training, other=min(successors - {cd}))
    for t in session.execute(select(Target).where(Target.task_id.in_((broadcast.id, training.id)))).scalars():
        w.targets[t.id] = (t.task_id, str(t.metric), t.quantity, str(t.period), t.per_unit, t.activity_type)

    rng = random.Random(2025)
    reporter = make_user(session, "reporter", c1.id, username="ghi.xa")
    for _ in range(260):
        day = PLAN_START + timedelta(days=rng.randint(0, (LAST_DAY - PLAN_START).days))
        unit = rng.choice((l1.id, split.id) if day < CURRENT_START else (c1.id, c2, cd))
        kind = rng.choice(("broadcast", "broadcast", "training", "leaflet"))
        status = rng.choice(("draft", "submitted", "approved", "approved", "returned"))
        tasks = ()
        if kind == "broadcast" and rng.random() < .85:
            tasks = (broadcast.id,) + ((training.id,) if rng.random() < .1 else ())
        elif kind == "training" and rng.random() < .85:
            tasks = (training.id,)
        fields = {"cost_local_vnd": rng.randrange(0, 3_000_000, 100_000)}
        if kind == "broadcast":
            fields.update(airings=rng.randint(1, 5), minutes_per_airing=rng.randint(5, 20))
        elif kind == "training":
            fields.update(sessions=rng.randint(1, 3), participants=rng.randint(10, 60))
        else:
            fields.update(copies=rng.randint(100, 900))
        a = make_activity(session, unit, user=reporter, type=kind, status=status, start_date=day, task_ids=tasks,
                          **fields)
        w.rows.append(Row(unit, kind, status, day, tasks, a.airings, a.minutes, a.sessions, a.participants,
                          a.copies, a.cost_vnd))
    # Outside the province: never counted for its reviewer.
    ninh_binh = session.execute(select(Unit.id).where(Unit.province_id == NINH_BINH, Unit.level == "commune")
                                .order_by(Unit.id).limit(1)).scalar_one()
    make_activity(session, ninh_binh, type="broadcast", status="approved", airings=50, minutes_per_airing=10,
                  start_date=date(2026, 2, 2), task_ids=(broadcast.id,))
    return w


# --- expected figures, from the rows ------------------------------------------------------------

SPANS = {"2025": (date(2025, 1, 1), date(2025, 12, 31)), "2026": (date(2026, 1, 1), date(2026, 12, 31)),
         "2025-Q2": (date(2025, 4, 1), date(2025, 6, 30)), "2026-Q1": (date(2026, 1, 1), date(2026, 3, 31)),
         "plan": (PLAN_START, PLAN_END)}


def _in_view(w: World, r: Row, root: int, period: str) -> bool:
    start, end = SPANS[period]
    return r.unit in w.subtree(root) and start <= r.day <= end


def _months(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _scaled(quantity: int, period: str, view: str) -> int:
    start, end = SPANS[view]
    start, end = max(start, PLAN_START), min(end, PLAN_END)
    per = {"year": 12, "quarter": 3, "month": 1}.get(period) or _months(PLAN_START, PLAN_END)
    return int(quantity * _months(start, end) / per + 0.5)


def _assigned(w: World, task) -> set[int]:
    return {w.l1, w.split, w.c1, w.c2, w.cd} if task == w.broadcast.id else {w.c1, w.c2}


def expected_progress(w: World, root: int, period: str, boundaries: str) -> dict[int, tuple[int, int, int]]:
    """Per target id: (target, approved, submitted) summed over the assigned units in view."""
    out = {}
    for target_id, (task, metric, quantity, tperiod, per_unit, kind) in w.targets.items():
        assigned = _assigned(w, task) & w.subtree(root)
        if boundaries == "current":
            keys = {w.current_key(u) for u in assigned}
            counts = lambda r: w.current_key(r.unit) in keys  # noqa: E731
        else:
            counts = lambda r: r.unit in assigned  # noqa: E731
        linked = [r for r in w.rows if task in r.tasks and _in_view(w, r, root, period)
                  and (kind is None or r.type == kind) and (not per_unit or counts(r))]
        total = _scaled(quantity, tperiod, period) * (len(assigned) if per_unit else 1)
        out[target_id] = (total, sum(r.get(metric) for r in linked if r.status == "approved"),
                          sum(r.get(metric) for r in linked if r.status == "submitted"))
    return out


def expected_totals(w: World, root: int, period: str, statuses: tuple[str, ...], plan_only: bool = False,
                    task: int | None = None) -> dict[str, int]:
    rows = [r for r in w.rows if _in_view(w, r, root, period) and r.status in statuses
            and (not plan_only or r.tasks) and (task is None or task in r.tasks)]
    return {"activities": len(rows), "airings": sum(r.airings for r in rows), "minutes": sum(r.minutes for r in rows),
            "participants": sum(r.participants for r in rows), "copies": sum(r.copies for r in rows),
            "cost_vnd": sum(r.cost_vnd for r in rows)}


def expected_by_status(w: World, root: int, period: str) -> dict[str, int]:
    rows = [r for r in w.rows if _in_view(w, r, root, period)]
    return {s: sum(1 for r in rows if r.status == s) for s in ("draft", "submitted", "approved", "returned")}


# --- reading the places ---------------------------------------------------------------------------

def _n(text: str) -> int:
    return int(text.strip().split()[0].replace(".", "")) if text.strip() else 0


FILTERS = [
    # (unit, period, boundaries, at)
    ("province", "2026", "current", None),
    ("province", "2025", "current", None),
    ("province", "2025", "as_of", "2025-06-30"),
    ("c1", "2025-Q2", "current", None),
    ("c1", "2026-Q1", "current", None),
    ("cd", "2025", "current", None),
    ("l1", "2025-Q2", "as_of", "2025-06-30"),
]


def _unit(w: World, name: str) -> int:
    return {"province": HAI_PHONG, "c1": w.c1, "cd": w.cd, "l1": w.l1}[name]


@pytest.fixture
def world(session):
    return _world(session)


@pytest.fixture
def reviewer(session):
    return make_user(session, "reviewer", HAI_PHONG, username="thamdinh.hp")


@pytest.mark.parametrize("unit,period,boundaries,at", FILTERS)
def test_progress_api_and_page_and_completeness_match_the_rows(client, session, world, reviewer, unit, period,
                                                                boundaries, at):
    w, root = world, _unit(world, unit)
    headers = token(client, reviewer)
    params = {"plan_id": w.plan.id, "unit_id": root, "period": period, "boundaries": boundaries,
              **({"at": at} if at else {})}
    expected = expected_progress(w, root, period, boundaries)
    body = client.get("/api/v1/progress", params=params, headers=headers).json()
    shown = {t["target_id"]: (t["target"], t["approved"], t["submitted"]) for t in body["tasks"]}
    in_view = {k for k, v in w.targets.items() if not v[4] or _assigned(w, v[0]) & w.subtree(root)}
    assert set(shown) == in_view, "every target with an assigned unit in view has its row, whole-task ones always"
    assert shown == {k: expected[k] for k in in_view}
    assert sum(a + s for _, a, s in shown.values()) > 0, "the filter holds some work"
    assert body["include_submitted"] is True

    # The page shows the same per-unit rows, approved and submitted apart, and says what it counts.
    login(client, reviewer)
    page = client.get("/progress", params=params).text
    assert "tính cả hoạt động chờ duyệt" in page
    doc = lxml.html.fromstring(page)
    by_unit = {}
    for r in body["rows"]:
        by_unit.setdefault(r["unit_id"], [0, 0])
        by_unit[r["unit_id"]][0] += r["approved"]
        by_unit[r["unit_id"]][1] += r["submitted"]
    on_page = {}
    for tr in doc.xpath("//tr[@data-unit]"):
        cells = {td.get("data-label"): td.text_content() for td in tr.xpath("./td")}
        u = int(tr.get("data-unit"))
        on_page.setdefault(u, [0, 0])
        on_page[u][0] += _n(cells["Đã duyệt"])
        on_page[u][1] += _n(cells["Chờ duyệt"])
    assert on_page == by_unit

    # Completeness counts every activity linked to the task (any status) at each assigned unit in view.
    report = client.get("/api/v1/completeness", params=params, headers=headers).json()
    for row in report["rows"]:
        task = row["task_id"]
        key = (lambda u: w.current_key(u)) if boundaries == "current" else (lambda u: u)
        linked = [r for r in w.rows if task in r.tasks and _in_view(w, r, root, period) and key(r.unit) == row["unit_id"]]
        assert (row["logged"], row["submitted"], row["approved"]) == (
            len(linked), sum(r.status in ("submitted", "approved") for r in linked),
            sum(r.status == "approved" for r in linked)), row


def test_as_of_boundaries_keep_a_legacy_communes_work_on_its_own_row(client, session, world, reviewer):
    w = world
    headers = token(client, reviewer)
    common = {"plan_id": w.plan.id, "unit_id": HAI_PHONG, "period": "2025"}
    current = client.get("/api/v1/progress", params=common, headers=headers).json()["rows"]
    as_of = client.get("/api/v1/progress", params={**common, "boundaries": "as_of", "at": "2025-06-30"},
                       headers=headers).json()["rows"]
    assert w.l1 not in {r["unit_id"] for r in current} and w.split not in {r["unit_id"] for r in current}
    l1_airings = sum(r.airings for r in w.rows if r.unit == w.l1 and r.status == "approved"
                     and w.broadcast.id in r.tasks and r.day.year == 2025)
    row = next(r for r in as_of if r["unit_id"] == w.l1 and r["metric"] == "airings")
    assert row["approved"] == l1_airings
    # Through today's boundaries the split commune's work goes to its default successor only.
    split_airings = sum(r.airings for r in w.rows if r.unit in (w.split, w.cd) and r.status == "approved"
                        and w.broadcast.id in r.tasks and r.day.year == 2025)
    row = next(r for r in current if r["unit_id"] == w.cd and r["metric"] == "airings")
    assert row["approved"] == split_airings
    assert w.other not in {r["unit_id"] for r in current}


@pytest.mark.parametrize("unit,period", [("province", "2026"), ("province", "2025"), ("c1", "2025-Q2"),
                                         ("c1", "2026-Q1"), ("cd", "2025")])
def test_dashboard_api_and_page_match_the_rows(client, session, world, reviewer, unit, period):
    w, root = world, _unit(world, unit)
    headers = token(client, reviewer)
    params = {"unit_id": root, "period": period}
    working = client.get("/api/v1/dashboard", params=params, headers=headers).json()["headline"]
    expected = expected_totals(w, root, period, ("submitted", "approved"))
    assert {k: working[k] for k in expected} == expected
    approved = client.get("/api/v1/dashboard", params={**params, "status": "approved"}, headers=headers).json()
    expected = expected_totals(w, root, period, ("approved",))
    assert {k: approved["headline"][k] for k in expected} == expected
    # Both charts: activities and participants per type and per month, recounted from the rows.
    board = client.get("/api/v1/dashboard", params=params, headers=headers).json()
    counted = [r for r in w.rows if _in_view(w, r, root, period) and r.status in ("submitted", "approved")]
    assert {t["type"]: (t["activities"], t["participants"]) for t in board["by_type"]} == {
        kind: (sum(1 for r in counted if r.type == kind), sum(r.participants for r in counted if r.type == kind))
        for kind in {r.type for r in counted}}
    assert {m["month"]: (m["activities"], m["participants"]) for m in board["over_time"] if m["activities"]} == {
        f"{d:%Y-%m}": (sum(1 for r in counted if f"{r.day:%Y-%m}" == f"{d:%Y-%m}"),
                       sum(r.participants for r in counted if f"{r.day:%Y-%m}" == f"{d:%Y-%m}"))
        for d in {r.day for r in counted}}
    by_task = client.get("/api/v1/dashboard", params={**params, "task_id": w.broadcast.id}, headers=headers).json()
    assert by_task["headline"]["airings"] == expected_totals(w, root, period, ("submitted", "approved"),
                                                             task=w.broadcast.id)["airings"]

    login(client, reviewer)
    page = client.get("/dashboard", params=params).text
    assert "hoạt động đã gửi và đã duyệt" in page
    stats = [_n(b.text_content()) for b in lxml.html.fromstring(page).xpath("//div[contains(@class,'stat')]/b")]
    assert stats[:6] == [working[k] for k in ("activities", "participants", "participants_poor", "copies",
                                               "airings", "minutes")]


def test_the_plan_page_shows_each_targets_approved_figure_over_the_whole_plan(client, session, world, reviewer):
    w = world
    login(client, reviewer)
    page = lxml.html.fromstring(client.get(f"/plans/{w.plan.id}").text)
    expected = expected_progress(w, HAI_PHONG, "plan", "current")
    cells = {int(td.get("data-target")): td.text_content() for td in page.xpath("//td[@data-target]")}
    assert set(cells) == set(w.targets)
    for target_id, text in cells.items():
        target, approved, submitted = expected[target_id]
        assert f"({approved:,}/{target:,})".replace(",", ".") in " ".join(text.split()), (target_id, text)
        if submitted:
            assert f"+{submitted:,} chờ duyệt".replace(",", ".") in " ".join(text.split())


def _docx_text(content: bytes) -> tuple[str, list[list[str]]]:
    document = docx.Document(io.BytesIO(content))
    table = next(t for t in document.tables if len(t.columns) == 7)
    assert table.rows[0].cells[4].text == "Kết quả (đã duyệt)"
    return "\n".join(p.text for p in document.paragraphs), [[c.text for c in r.cells] for r in table.rows[1:]]


@pytest.mark.parametrize("unit,period", [("province", "2026"), ("province", "2025"), ("c1", "2025-Q2")])
def test_the_print_and_word_reports_count_approved_work_as_the_rows_do(client, session, world, reviewer, unit,
                                                                     period):
    w, root = world, _unit(world, unit)
    headers = token(client, reviewer)
    params = {"unit_id": root, "period": period}
    approved = expected_totals(w, root, period, ("approved",), plan_only=True)
    expected = expected_progress(w, root, period, "current")
    text, table = _docx_text(client.get(f"/api/v1/reports/plan/{w.plan.id}.docx", params=params,
                                        headers=headers).content)
    line = f"Tổng số hoạt động truyền thông đã được duyệt: {approved['activities']:,} hoạt động".replace(",", ".")
    assert line in text
    results = sorted((_n(r[3]), _n(r[4])) for r in table)
    assert results == sorted((t, a) for t, a, _ in expected.values())

    login(client, reviewer)
    page = client.get(f"/reports/plan/{w.plan.id}", params=params).text
    assert line in page and "Kết quả (đã duyệt)" in page
    doc = lxml.html.fromstring(page)
    rows = [[td.text_content() for td in tr.xpath("./td")] for tr in doc.xpath("//table[contains(@class,'targets')]/tbody/tr")]
    assert sorted((_n(r[3]), _n(r[4])) for r in rows) == results


@pytest.mark.parametrize("unit,period", [("province", "2026"), ("c1", "2025-Q2"), ("cd", "2025")])
def test_the_excel_summary_and_the_csv_match_the_rows_and_the_report(client, session, world, reviewer, unit, period):
    w, root = world, _unit(world, unit)
    headers = token(client, reviewer)
    params = {"unit_id": root, "period": period}
    wb = openpyxl.load_workbook(io.BytesIO(client.get("/api/v1/reports/activities.xlsx", params=params,
                                                      headers=headers).content))
    rows = list(wb["Tổng hợp"].iter_rows(values_only=True))
    header = rows[3]
    total = dict(zip(header, next(r for r in rows if r[0] == "Tổng cộng")))
    by_status = expected_by_status(w, root, period)
    assert total["Số hoạt động (mọi trạng thái)"] == sum(by_status.values())
    assert (total["Đã duyệt"], total["Đã gửi, chờ duyệt"], total["Bị trả lại"], total["Nháp"]) == (
        by_status["approved"], by_status["submitted"], by_status["returned"], by_status["draft"])
    approved = expected_totals(w, root, period, ("approved",))
    assert total["Số lần phát sóng (đã duyệt)"] == approved["airings"]
    assert total["Số phút phát sóng (đã duyệt)"] == approved["minutes"]
    assert total["Số người tham gia (đã duyệt)"] == approved["participants"]
    assert total["Tổng kinh phí (đồng) (đã duyệt)"] == approved["cost_vnd"]
    # The same approved count as the dashboard filtered to approved work.
    board = client.get("/api/v1/dashboard", params={**params, "status": "approved"}, headers=headers).json()
    assert total["Đã duyệt"] == board["headline"]["activities"]

    content = client.get("/api/v1/reports/activities.csv", params=params, headers=headers).content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(content)))
    listed = [dict(zip(lines[2], r)) for r in lines[3:]]
    counted = {label: sum(1 for r in listed if r["Trạng thái"] == label)
               for label in ("Nháp", "Đã gửi", "Đã duyệt", "Trả lại")}
    assert counted == {"Nháp": by_status["draft"], "Đã gửi": by_status["submitted"],
                       "Đã duyệt": by_status["approved"], "Trả lại": by_status["returned"]}
