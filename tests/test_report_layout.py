"""The Word report as a văn thư checks it (Nghị định 30/2020): reference with the issuer's
abbreviation, the "Kính gửi" line, page numbers from page 2 at the top centre, the header lines,
numbering without restarts, the plan's budget, and each activity under a task expecting its type."""
import io
import os
import random
import re
import shutil
import subprocess
from datetime import date

import docx
import pytest

from app.agencies.models import AgencyKind
from tests.factories import HAI_PHONG, make_agency, make_user, token
from tests.reports_helpers import province_with_activities


def _docx(client, p, user, **params):
    params = {"period": "2026", "at": "2026-11-20", **params}
    response = client.get(f"/api/v1/reports/plan/{p.plan.id}.docx", params=params, headers=token(client, user))
    assert response.status_code == 200, response.text
    return response.content


def _header_cell(document):
    return document.tables[0].rows[0].cells[0]


def test_a_peoples_committee_issues_in_its_own_name_with_the_ubnd_reference_and_writes_to_the_ministry(
        client, session):
    p = province_with_activities(session)
    document = docx.Document(io.BytesIO(_docx(client, p, p.reviewer, unit_id=p.plan.unit_id)))
    cell = _header_cell(document)
    lines = [(para.text, all(r.bold for r in para.runs if r.text)) for para in cell.paragraphs if para.text.strip()]
    assert lines[:2] == [("ỦY BAN NHÂN DÂN", True), ("THÀNH PHỐ HẢI PHÒNG", True)]
    assert any(text.replace(" ", "") == "Số:/BC-UBND" for text, _ in lines)
    texts = [para.text for para in document.paragraphs]
    assert "Kính gửi: Bộ Nông nghiệp và Môi trường." in texts
    assert texts.index("Kính gửi: Bộ Nông nghiệp và Môi trường.") < next(
        i for i, t in enumerate(texts) if t.startswith("Thực hiện Kế hoạch"))


def test_an_agency_writes_its_superior_body_plain_its_own_name_bold_and_its_abbreviation(client, session):
    p = province_with_activities(session)
    committee = make_agency(session, HAI_PHONG, "Ủy ban nhân dân thành phố Hải Phòng", kind=AgencyKind.people_committee)
    p.plan.agency_id = committee.id
    session.add(p.plan)
    session.commit()
    department = make_agency(session, HAI_PHONG, "Sở Nông nghiệp và Môi trường thành phố Hải Phòng")
    staff = make_user(session, "reviewer", HAI_PHONG, username="so_nnmt", agency_id=department.id)
    document = docx.Document(io.BytesIO(_docx(client, p, staff, unit_id=HAI_PHONG)))
    paragraphs = [para for para in _header_cell(document).paragraphs if para.text.strip()]
    assert paragraphs[0].text == "ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG"
    assert not any(r.bold for r in paragraphs[0].runs)
    assert paragraphs[1].text == "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG THÀNH PHỐ HẢI PHÒNG"
    assert all(r.bold for r in paragraphs[1].runs)
    assert any(para.text.replace(" ", "") == "Số:/BC-SNNMT" for para in paragraphs)
    assert "Kính gửi: Ủy ban nhân dân thành phố Hải Phòng." in [para.text for para in document.paragraphs]


def test_task_results_are_points_a_b_under_item_2_and_the_plans_budget_is_shown(client, session):
    p = province_with_activities(session)
    p.plan.budget_central_vnd, p.plan.budget_local_vnd = 400_000_000, 100_000_000
    session.add(p.plan)
    session.commit()
    document = docx.Document(io.BytesIO(_docx(client, p, p.reviewer, unit_id=p.plan.unit_id)))
    texts = [para.text for para in document.paragraphs]
    part = texts[texts.index("2. Kết quả thực hiện từng nhiệm vụ"):texts.index("3. Kết quả thực hiện chỉ tiêu")]
    assert [t for t in part if t[:2] in ("a)", "b)", "1.", "2.")] == [
        "2. Kết quả thực hiện từng nhiệm vụ", "a) Phát thanh trên hệ thống loa truyền thanh xã",
        "b) Tập huấn nâng cao năng lực cán bộ giảm nghèo"]
    funding = next(t for t in document.tables if t.rows[0].cells[1].text == "Nguồn kinh phí")
    rows = [[c.text for c in r.cells[1:]] for r in funding.rows[1:]]
    assert rows[0][:2] == ["Ngân sách trung ương", "400.000.000"]
    assert rows[1][:2] == ["Ngân sách địa phương", "100.000.000"]
    assert rows[3][:2] == ["Tổng cộng", "500.000.000"]


def test_demo_activities_are_linked_only_to_tasks_expecting_their_type():
    from app.activities.demo import _task_for
    from app.units.models import Unit

    unit = Unit(id=5, code="1", name="Xã A", short_name="A", level="commune", commune_id=5, province_id=1)
    tasks = [(1, date(2026, 1, 1), date(2026, 12, 31), {5}, 1, {"broadcast"}),
             (2, date(2026, 1, 1), date(2026, 12, 31), {5}, 1, {"training", "dialogue"})]
    rng = random.Random(1)
    chosen = {_task_for(rng, tasks, unit, date(2026, 5, 1), "training") for _ in range(50)}
    assert chosen <= {2, None} and 2 in chosen
    assert {_task_for(rng, tasks, unit, date(2026, 5, 1), "contest") for _ in range(20)} == {None}


def test_libreoffice_shows_the_reference_the_addressee_and_page_numbers_from_page_two(client, session, tmp_path):
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None or not shutil.which("pdftotext"):
        message = "LibreOffice rendering skipped: libreoffice or pdftotext is not installed"
        if os.environ.get("LOA_REQUIRE_LIBREOFFICE"):
            pytest.fail(message.replace("skipped", "required here but missing"))
        pytest.skip(message)
    p = province_with_activities(session)
    source = tmp_path / "bao-cao.docx"
    source.write_bytes(_docx(client, p, p.reviewer, unit_id=p.plan.unit_id))
    subprocess.run([office, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(source)], check=True, capture_output=True, timeout=180)
    pdf = str(tmp_path / "bao-cao.pdf")

    def page(n: int) -> str:
        return subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), pdf, "-"], capture_output=True,
                              text=True, check=True).stdout

    pages = int(next(line.split()[-1] for line in subprocess.run(
        ["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout.splitlines() if line.startswith("Pages:")))
    assert pages >= 2
    first = page(1)
    assert "/BC-UBND" in first and "Kính gửi: Bộ Nông nghiệp và Môi trường." in first
    assert "a) Phát thanh trên hệ thống loa truyền thanh xã" in first
    assert first.strip().splitlines()[0].strip() != "1", "no number on the first page"
    for n in range(2, pages + 1):
        top = page(n).strip().splitlines()[0]
        assert top.strip() == str(n), f"page {n} starts with {top!r}"
        words = subprocess.run(["pdftotext", "-bbox", "-f", str(n), "-l", str(n), pdf, "-"], capture_output=True,
                               text=True, check=True).stdout
        first = re.search(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">(\d+)</word>', words)
        centre = (float(first.group(1)) + float(first.group(2))) / 2
        # A4 is 595 pt wide; the text runs from 30 mm to 195 mm, so its centre is at 319 pt.
        assert first.group(3) == str(n) and abs(centre - 319) < 15, (first.groups(), centre)
