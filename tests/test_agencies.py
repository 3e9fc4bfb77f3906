"""Agencies: the API (list, search without accents, create, read) and matching the names a plan
writes to known agencies."""
from datetime import date

import pytest

from app.agencies.queries import match_agency
from app.demo import AGENCIES
from tests.factories import HAI_DUONG, HAI_PHONG, make_agency, make_user, token


def _hai_duong_agencies(session, with_short_names=True):
    made = {}
    for name, short, kind, _, _ in AGENCIES:
        made[name] = make_agency(session, HAI_DUONG, name, short_name=short if with_short_names else None, kind=kind,
                                 valid_to=date(2025, 2, 28))
    return made


def test_agencies_are_searched_without_accents_and_filtered_by_unit_and_date(client, session):
    _hai_duong_agencies(session)
    current = make_agency(session, HAI_PHONG, "Sở Nông nghiệp và Môi trường thành phố Hải Phòng",
                          valid_from=date(2025, 3, 1))
    headers = token(client, make_user(session, "reporter", HAI_PHONG))

    def names(**params):
        return [a["name"] for a in client.get("/api/v1/agencies", params=params, headers=headers).json()["items"]]

    assert names(q="so noi vu") == ["Sở Nội vụ tỉnh Hải Dương"]
    assert names(q="NONG NGHIEP", at="2026-01-01") == [current.name]
    assert len(names(unit_id=HAI_DUONG, limit=50)) == len(AGENCIES)
    # Hải Phòng covers the former Hải Dương: its departments are listed too, unless asked for a date.
    assert len(names(unit_id=HAI_PHONG)) == len(AGENCIES) + 1
    assert names(unit_id=HAI_PHONG, at="2026-01-01") == [current.name]


def test_agency_pages_follow_the_cursor(client, session):
    _hai_duong_agencies(session)
    headers = token(client, make_user(session, "viewer", HAI_PHONG))
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/agencies", params={"limit": 3} | ({"cursor": cursor} if cursor else {}),
                          headers=headers).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == len(AGENCIES)


def test_a_reviewer_adds_an_unknown_agency_and_reads_it_back(client, session):
    headers = token(client, make_user(session, "reviewer", HAI_PHONG))
    body = {"name": "Hội Liên hiệp Phụ nữ tỉnh Hải Dương", "short_name": "Hội LHPN tỉnh",
            "kind": "mass_organisation", "unit_id": HAI_DUONG}
    created = client.post("/api/v1/agencies", json=body, headers=headers)
    assert created.status_code == 201, created.text
    agency = client.get(f"/api/v1/agencies/{created.json()['id']}", headers=headers).json()
    assert agency["short_name"] == "Hội LHPN tỉnh"
    again = client.post("/api/v1/agencies", json=body, headers=headers)
    assert again.status_code == 422 and again.json()["errors"][0]["path"] == "body.name"


def test_a_reporter_cannot_add_agencies_and_missing_ones_answer_404(client, session):
    headers = token(client, make_user(session, "reporter", HAI_PHONG))
    body = {"name": "Hội Nông dân tỉnh Hải Dương", "unit_id": HAI_DUONG}
    assert client.post("/api/v1/agencies", json=body, headers=headers).status_code == 403
    assert client.get("/api/v1/agencies/999999", headers=headers).status_code == 404


@pytest.mark.parametrize("written, expected", [
    ("Sở Lao động - Thương binh và Xã hội", "Sở Lao động - Thương binh và Xã hội tỉnh Hải Dương"),
    ("Sở LĐTBXH", "Sở Lao động - Thương binh và Xã hội tỉnh Hải Dương"),
    ("SỞ LAO ĐỘNG THƯƠNG BINH VÀ XÃ HỘI", "Sở Lao động - Thương binh và Xã hội tỉnh Hải Dương"),
    ("Sở TT&TT", "Sở Thông tin và Truyền thông tỉnh Hải Dương"),
    ("Sở Văn hóa Thể thao và Du lịch", "Sở Văn hóa, Thể thao và Du lịch tỉnh Hải Dương"),
    ("Sở NN&PTNT", "Sở Nông nghiệp và Phát triển nông thôn tỉnh Hải Dương"),
    ("Đài Phát thanh và truyền hình tỉnh", "Đài Phát thanh và Truyền hình tỉnh Hải Dương"),
    ("UBND tỉnh", "Ủy ban nhân dân tỉnh Hải Dương"),
    ("Sở Tài chính", "Sở Tài chính tỉnh Hải Dương"),
])
def test_a_name_as_a_plan_writes_it_matches_the_known_agency(session, written, expected):
    _hai_duong_agencies(session, with_short_names=False)
    found = match_agency(session, written, HAI_DUONG)
    assert found is not None and found.name == expected


def test_short_names_match_and_unknown_agencies_do_not(session):
    _hai_duong_agencies(session)
    assert match_agency(session, "Sở LĐTBXH", HAI_DUONG).short_name == "Sở LĐTBXH"
    assert match_agency(session, "Sở Y tế", HAI_DUONG) is None
    assert match_agency(session, "Sở Nội vụ", HAI_PHONG) is None  # the legacy agencies are not Hải Phòng's
