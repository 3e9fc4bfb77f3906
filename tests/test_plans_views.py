"""The plan pages: list with filters, plan page, and the plan and task forms (422 keeps input)."""
from app.plans.models import Plan, Task
from tests.factories import HAI_DUONG, HAI_PHONG, login, token
from tests.plans_helpers import people, plan_body

PLAN_FORM = {"title": "Kế hoạch truyền thông giảm nghèo 2026", "number": "15/KH-UBND", "unit_id": str(HAI_PHONG),
             "period_start": "2026-01-01", "period_end": "2026-12-31", "status": "active",
             "budget_local_vnd": "3.500.000.000",
             "basis_number": ["90/QĐ-TTg", ""], "basis_date": ["2022-01-18", ""],
             "basis_issuer": ["Thủ tướng Chính phủ", ""], "basis_title": ["Phê duyệt Chương trình", ""]}


def _api_plan(client, p, **overrides):
    headers = token(client, p["reviewer"])
    plan = client.post("/api/v1/plans", json=plan_body(**overrides), headers=headers).json()
    task = client.post(f"/api/v1/plans/{plan['id']}/tasks", headers=headers, json={
        "title": "Phát thanh trên loa truyền thanh xã", "lead_agency_id": p["ldtbxh"].id,
        "partner_agency_ids": [p["station"].id], "report_deadline": "2023-11-20",
        "assignment": {"every": "commune", "of_unit_id": HAI_DUONG},
        "targets": [{"metric": "airings", "quantity": 24, "period": "year"}]}).json()
    return plan, task


def test_the_reviewer_creates_a_plan_from_the_form(client, session):
    p = people(session)
    csrf = login(client, p["reviewer"])
    response = client.post("/plans", data=PLAN_FORM | {"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303, response.text
    plan = session.get(Plan, int(response.headers["location"].split("/")[2].split("?")[0]))
    assert plan.budget_local_vnd == 3_500_000_000 and plan.legal_bases[0]["number"] == "90/QĐ-TTg"
    page = client.get(response.headers["location"])
    assert "15/KH-UBND" in page.text and "3.500.000.000 đồng" in page.text and "Đã lưu." in page.text


def test_a_refused_plan_form_answers_422_keeping_every_value_and_the_message_beside_the_field(client, session):
    p = people(session)
    csrf = login(client, p["reviewer"])
    data = PLAN_FORM | {"csrf_token": csrf, "period_start": "2026-12-31", "period_end": "2026-01-01"}
    response = client.post("/plans", data=data)
    assert response.status_code == 422
    assert "Ngày kết thúc phải sau ngày bắt đầu." in response.text
    for kept in ("Kế hoạch truyền thông giảm nghèo 2026", "15/KH-UBND", "3.500.000.000", "90/QĐ-TTg",
                 "Thủ tướng Chính phủ", 'value="2026-12-31"'):
        assert kept in response.text


def test_add_a_legal_basis_row_without_javascript(client, session):
    p = people(session)
    csrf = login(client, p["reviewer"])
    response = client.post("/plans", data=PLAN_FORM | {"csrf_token": csrf, "action": "add_basis"})
    assert response.status_code == 200
    assert response.text.count('name="basis_number"') == 3 and "90/QĐ-TTg" in response.text


def test_the_plan_page_shows_tasks_with_lead_partners_units_and_targets(client, session):
    p = people(session)
    plan, _ = _api_plan(client, p)
    login(client, p["reviewer"])
    page = client.get(f"/plans/{plan['id']}")
    assert page.status_code == 200
    text = page.text
    assert "Sở Lao động - Thương binh và Xã hội tỉnh Hải Dương" in text and "Đài PT-TH" in text
    assert "mọi xã của Tỉnh Hải Dương" in text and "Số lần phát sóng" in text and "trước ngày 20/11" in text
    assert "Lập kế hoạch của đơn vị tôi" not in text  # Hải Phòng is not below Hải Dương


def test_the_list_filters_by_status_and_year(client, session):
    p = people(session)
    _api_plan(client, p)
    client.post("/api/v1/plans", json=plan_body(unit_id=HAI_PHONG, number="3/KH", title="Kế hoạch năm 2026",
                                                 period_start="2026-01-01", period_end="2026-12-31", status="draft"),
                headers=token(client, p["reviewer"]))
    login(client, p["reviewer"])
    everything = client.get("/plans").text
    assert "Kế hoạch năm 2026" in everything and "giai đoạn 2023-2025" in everything
    drafts = client.get("/plans", params={"status": "draft"}).text
    assert "Kế hoạch năm 2026" in drafts and "giai đoạn 2023-2025" not in drafts
    in_2024 = client.get("/plans", params={"year": "2024"}, headers={"HX-Request": "true"}).text
    assert "giai đoạn 2023-2025" in in_2024 and "Kế hoạch năm 2026" not in in_2024 and "<html" not in in_2024


def test_a_reporter_of_another_province_gets_404_on_the_plan_page(client, session):
    p = people(session)
    plan, task = _api_plan(client, p)
    login(client, p["outsider"])
    assert client.get(f"/plans/{plan['id']}").status_code == 404
    assert client.get(f"/tasks/{task['id']}/edit").status_code == 404


def test_a_commune_officer_reads_the_plan_but_cannot_edit_it(client, session):
    p = people(session)
    plan, task = _api_plan(client, p)
    login(client, p["reporter"])
    page = client.get(f"/plans/{plan['id']}")
    assert page.status_code == 200 and "Sửa kế hoạch" not in page.text
    assert client.get(f"/plans/{plan['id']}/edit").status_code == 403


def test_a_task_target_without_a_metric_is_refused_beside_its_row_and_rows_are_kept(client, session):
    p = people(session)
    plan, _ = _api_plan(client, p)
    csrf = login(client, p["reviewer"])
    data = {"csrf_token": csrf, "title": "Tổ chức đối thoại chính sách", "mode": "every", "of_unit_id": str(HAI_DUONG),
            "activity_types": ["dialogue"], "report_frequency": "year",
            "target_metric": ["sessions", ""], "target_quantity": ["2", "150"], "target_period": ["year", "plan"],
            "target_per_unit": ["1", "0"], "target_activity_type": ["", ""]}
    response = client.post(f"/plans/{plan['id']}/tasks", data=data)
    assert response.status_code == 422
    assert "Chọn chỉ số đo cho chỉ tiêu này." in response.text
    assert 'value="150"' in response.text and "Tổ chức đối thoại chính sách" in response.text
    data["target_metric"] = ["sessions", "participants"]
    saved = client.post(f"/plans/{plan['id']}/tasks", data=data, follow_redirects=False)
    assert saved.status_code == 303
    assert session.query(Task).filter(Task.plan_id == plan["id"]).count() == 2


def test_a_task_is_edited_from_its_form(client, session):
    p = people(session)
    plan, task = _api_plan(client, p)
    csrf = login(client, p["reviewer"])
    form = client.get(f"/tasks/{task['id']}/edit")
    assert form.status_code == 200 and 'value="24"' in form.text
    data = {"csrf_token": csrf, "title": "Phát thanh hằng tuần", "mode": "units", "version": str(task["version"]),
            "unit_ids": [str(p["current_commune"].id)], "report_frequency": "year",
            "target_metric": ["airings"], "target_quantity": ["52"], "target_period": ["year"],
            "target_per_unit": ["1"], "target_activity_type": ["broadcast"]}
    assert client.post(f"/tasks/{task['id']}/edit", data=data, follow_redirects=False).status_code == 303
    body = client.get(f"/api/v1/tasks/{task['id']}", headers=token(client, p["reviewer"])).json()
    assert body["title"] == "Phát thanh hằng tuần" and body["unit_ids"] == [p["current_commune"].id]
    assert body["targets"][0]["quantity"] == 52 and body["targets"][0]["activity_type"] == "broadcast"


def test_a_commune_reviewer_cascades_with_one_button(client, session):
    p = people(session)
    plan, task = _api_plan(client, p)
    csrf = login(client, p["commune_reviewer"])
    page = client.get(f"/plans/{plan['id']}")
    assert "Lập kế hoạch của đơn vị tôi" in page.text
    response = client.post(f"/tasks/{task['id']}/cascade", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    child = client.get(response.headers["location"])
    assert "Thực hiện nhiệm vụ" in child.text and "Phát thanh trên loa truyền thanh xã" in child.text


def test_the_plan_page_shows_each_tasks_progress_from_approved_activities(client, session):
    from datetime import date

    from tests.factories import find_unit, make_activity, make_plan, make_task, make_user

    commune = find_unit(session, "Phường Hải Dương", legacy=False)
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="tham_dinh")
    plan = make_plan(session, HAI_PHONG, period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))
    task = make_task(session, plan, unit_ids=(commune.id,), targets=(("airings", 10, "plan"),))
    make_activity(session, commune.id, status="approved", airings=4, minutes_per_airing=10, task_ids=(task.id,),
                  start_date=date(2026, 3, 2))
    login(client, reviewer)
    page = client.get(f"/plans/{plan.id}")
    assert page.status_code == 200
    assert "Tiến độ" in page.text and "40%" in page.text and "(4/10)" in page.text


def test_the_attached_original_document_can_be_downloaded_by_people_in_scope_only(client, session):
    from tests.factories import DA_NANG, make_plan, make_user

    reviewer = make_user(session, "reviewer", HAI_PHONG, username="tham_dinh")
    outsider = make_user(session, "reviewer", DA_NANG, username="ngoai_pham_vi")
    plan = make_plan(session, HAI_PHONG)
    csrf = login(client, reviewer)
    text = "KẾ HOẠCH truyền thông giảm nghèo bền vững".encode()
    response = client.post(f"/plans/{plan.id}/document", data={"csrf_token": csrf},
                           files={"document": ("kế-hoạch.txt", text, "text/plain")}, follow_redirects=False)
    assert response.status_code == 303
    assert "/document" in client.get(f"/plans/{plan.id}").text
    download = client.get(f"/plans/{plan.id}/document")
    assert download.status_code == 200 and download.content == text
    client.cookies.clear()
    login(client, outsider)
    assert client.get(f"/plans/{plan.id}/document").status_code == 404


def test_a_document_of_the_wrong_kind_is_refused_beside_the_field_and_nothing_is_attached(client, session):
    from tests.factories import make_plan, make_user

    reviewer = make_user(session, "reviewer", HAI_PHONG, username="tham_dinh")
    plan = make_plan(session, HAI_PHONG)
    csrf = login(client, reviewer)
    response = client.post(f"/plans/{plan.id}/document", data={"csrf_token": csrf},
                           files={"document": ("anh-chup.exe", b"MZ\x90\x00", "application/octet-stream")})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.text and "Chỉ nhận tệp PDF, DOCX, DOC, ODT hoặc TXT." in response.text
    assert plan.title in response.text, "the plan page is shown again, with its tasks"
    missing = client.post(f"/plans/{plan.id}/document", data={"csrf_token": csrf})
    assert missing.status_code == 422 and "Chọn tệp văn bản để đính kèm." in missing.text
    session.refresh(plan)
    assert plan.document_path is None


def test_a_commune_officer_posting_the_task_forms_gets_403_and_nothing_changes(client, session):
    p = people(session)
    plan, task = _api_plan(client, p)
    csrf = login(client, p["reporter"])
    valid = {"csrf_token": csrf, "title": "Tổ chức đối thoại chính sách", "mode": "none", "report_frequency": "year",
             "version": str(task["version"])}
    for data in (valid, valid | {"title": ""}, valid | {"action": "add_target"}):  # saved, refused, a row added
        assert client.post(f"/plans/{plan['id']}/tasks", data=data).status_code == 403
        assert client.post(f"/tasks/{task['id']}/edit", data=data).status_code == 403
    session.expire_all()
    assert [t.title for t in session.query(Task).filter(Task.plan_id == plan["id"])] == [task["title"]]
    assert client.post("/plans", data=PLAN_FORM | {"csrf_token": csrf}).status_code == 403
    assert client.post("/plans", data=PLAN_FORM | {"csrf_token": csrf, "action": "add_basis"}).status_code == 403


def test_bad_numbers_and_days_in_the_plan_form_get_a_message_beside_each_field_and_keep_the_text(client, session):
    p = people(session)
    csrf = login(client, p["reviewer"])
    data = PLAN_FORM | {"csrf_token": csrf, "budget_local_vnd": "ba tỷ", "period_end": "31/13/2026",
                        "basis_number": ["", "90/QĐ-TTg"], "basis_date": ["", "18 tháng 1"],
                        "basis_issuer": ["", "Thủ tướng Chính phủ"], "basis_title": ["", "Phê duyệt"]}
    response = client.post("/plans", data=data)
    assert response.status_code == 422
    assert "Nhập số tiền bằng đồng, ví dụ 3.500.000.000." in response.text
    assert response.text.count("Ngày không hợp lệ (dd/mm/yyyy).") == 2
    for kept in ("ba tỷ", "31/13/2026", "18 tháng 1", "Thủ tướng Chính phủ"):
        assert kept in response.text
    assert session.query(Plan).count() == 0
    typed_by_hand = PLAN_FORM | {"csrf_token": csrf, "period_start": "01/01/2026", "budget_local_vnd": "3 500 000"}
    saved = client.post("/plans", data=typed_by_hand, follow_redirects=False)
    assert saved.status_code == 303
    plan = session.query(Plan).one()
    assert str(plan.period_start) == "2026-01-01" and plan.budget_local_vnd == 3_500_000


def test_a_task_target_with_a_quantity_that_is_not_a_number_is_refused_beside_its_row(client, session):
    p = people(session)
    plan, _ = _api_plan(client, p)
    csrf = login(client, p["reviewer"])
    data = {"csrf_token": csrf, "title": "Tổ chức đối thoại chính sách", "mode": "every", "of_unit_id": str(HAI_DUONG),
            "activity_types": ["dialogue"], "report_frequency": "year", "due_date": "hôm nay",
            "target_metric": ["sessions", "participants"], "target_quantity": ["hai", ""],
            "target_period": ["year", "plan"], "target_per_unit": ["1", "0"], "target_activity_type": ["", ""]}
    response = client.post(f"/plans/{plan['id']}/tasks", data=data)
    assert response.status_code == 422
    assert "Số lượng là số nguyên không âm." in response.text and "Nhập số lượng." in response.text
    assert "Ngày không hợp lệ (dd/mm/yyyy)." in response.text
    assert 'value="hai"' in response.text and "hôm nay" in response.text
    assert session.query(Task).filter(Task.plan_id == plan["id"]).count() == 1


def _task_data(csrf, **overrides) -> dict:
    data = {"csrf_token": csrf, "title": "Phát thanh chuyên mục giảm nghèo", "mode": "none",
            "report_frequency": "year", "activity_types": ["broadcast"], "description": "Mỗi tuần một buổi",
            "target_metric": ["airings"], "target_quantity": ["24"], "target_period": ["year"],
            "target_per_unit": ["1"], "target_activity_type": [""]}
    return data | overrides


def test_a_partner_agency_that_is_not_an_id_is_refused_beside_the_partners_keeping_the_form(client, session):
    p = people(session)
    plan, _ = _api_plan(client, p)
    csrf = login(client, p["reviewer"])
    data = _task_data(csrf, partner_agency_ids=[str(p["station"].id), "12abc"])

    response = client.post(f"/plans/{plan['id']}/tasks", data=data)

    assert response.status_code == 422
    assert "Chọn cơ quan phối hợp trong danh sách." in response.text
    assert "Phát thanh chuyên mục giảm nghèo" in response.text and "Mỗi tuần một buổi" in response.text
    assert f'value="{p["station"].id}" checked' in response.text
    assert session.query(Task).filter(Task.plan_id == plan["id"]).count() == 1


def test_an_assigned_commune_that_is_not_an_id_is_refused_beside_the_communes_keeping_the_form(client, session):
    p = people(session)
    plan, task = _api_plan(client, p)
    csrf = login(client, p["reviewer"])
    data = _task_data(csrf, mode="units", version=str(task["version"]),
                      unit_ids=[str(p["current_commune"].id), "xã Yên Phong"])

    response = client.post(f"/tasks/{task['id']}/edit", data=data)

    assert response.status_code == 422
    assert "Chọn đơn vị trong danh sách." in response.text and "Chọn ít nhất một đơn vị." not in response.text
    assert f'value="{p["current_commune"].id}" selected' in response.text and 'value="24"' in response.text
    session.expire_all()
    assert session.get(Task, task["id"]).assignment.get("every") == "commune"


def test_the_units_mode_without_a_commune_still_asks_for_one(client, session):
    p = people(session)
    plan, _ = _api_plan(client, p)
    csrf = login(client, p["reviewer"])

    response = client.post(f"/plans/{plan['id']}/tasks", data=_task_data(csrf, mode="units", unit_ids=[""]))

    assert response.status_code == 422
    assert "Chọn ít nhất một đơn vị." in response.text and "Chọn đơn vị trong danh sách." not in response.text
    assert session.query(Task).filter(Task.plan_id == plan["id"]).count() == 1


def test_partners_and_communes_chosen_from_the_lists_are_saved(client, session):
    p = people(session)
    plan, _ = _api_plan(client, p)
    csrf = login(client, p["reviewer"])
    data = _task_data(csrf, mode="units", unit_ids=[str(p["current_commune"].id)],
                      partner_agency_ids=[str(p["station"].id)])

    assert client.post(f"/plans/{plan['id']}/tasks", data=data, follow_redirects=False).status_code == 303
    task = session.query(Task).filter(Task.plan_id == plan["id"], Task.title == data["title"]).one()
    body = client.get(f"/api/v1/tasks/{task.id}", headers=token(client, p["reviewer"])).json()
    assert body["partner_agency_ids"] == [p["station"].id] and body["unit_ids"] == [p["current_commune"].id]
