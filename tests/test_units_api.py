"""The units API: both eras, filters, accent-insensitive search, pagination, detail with successors."""
from tests.factories import HAI_DUONG, HAI_PHONG, find_unit, make_user, token


def test_it_lists_34_provinces_today_and_63_before_the_reorganisation(client, session):
    headers = token(client, make_user(session, "admin"))
    today = client.get("/api/v1/units", params={"level": "province", "limit": 500}, headers=headers).json()
    legacy = client.get("/api/v1/units", params={"level": "province", "limit": 500, "at": "2024-06-01"},
                        headers=headers).json()
    assert len(today["items"]) == 34 and today["next_cursor"] is None
    assert len(legacy["items"]) == 63
    assert "Tỉnh Hải Dương" in {u["name"] for u in legacy["items"]}
    assert "Tỉnh Hải Dương" not in {u["name"] for u in today["items"]}


def test_search_ignores_accents_and_case(client, session):
    headers = token(client, make_user(session, "admin"))
    found = client.get("/api/v1/units", params={"q": "DA NANG", "level": "province"}, headers=headers).json()
    assert [u["name"] for u in found["items"]] == ["Thành phố Đà Nẵng"]
    legacy = client.get("/api/v1/units", params={"q": "dai an", "at": "2024-06-01", "limit": 500}, headers=headers).json()
    assert "Xã Đại An" in {u["name"] for u in legacy["items"]}


def test_cursor_pages_cover_every_commune_of_a_parent_once(client, session):
    headers = token(client, make_user(session, "admin"))
    seen, cursor = [], None
    while True:
        params = {"parent_id": HAI_PHONG, "limit": 40}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v1/units", params=params, headers=headers).json()
        seen += [u["id"] for u in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) > 100


def test_a_legacy_commune_shows_its_2025_successor(client, session):
    headers = token(client, make_user(session, "admin"))
    dai_an = find_unit(session, "Xã Đại An", legacy=True, parent_name="Huyện Vụ Bản")
    detail = client.get(f"/api/v1/units/{dai_an.id}", headers=headers).json()
    assert [p["name"] for p in detail["parents"]] == ["Tỉnh Nam Định", "Huyện Vụ Bản"]
    assert detail["successors"] and detail["successors"][0]["valid_from"] == "2025-07-01"
    successor = client.get(f"/api/v1/units/{detail['successors'][0]['id']}", headers=headers).json()
    assert dai_an.id in {p["id"] for p in successor["predecessors"]}
    assert successor["parents"][0]["name"] == "Tỉnh Ninh Bình"


def test_the_legacy_province_points_to_its_merged_successor(client, session):
    headers = token(client, make_user(session, "admin"))
    detail = client.get(f"/api/v1/units/{HAI_DUONG}", headers=headers).json()
    assert [s["id"] for s in detail["successors"]] == [HAI_PHONG]
    assert detail["children_count"] > 5


def test_units_need_a_token_and_unknown_ids_answer_404(client, session):
    assert client.get("/api/v1/units").status_code == 401
    headers = token(client, make_user(session, "admin"))
    response = client.get("/api/v1/units/123", headers=headers)
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_bad_filters_answer_a_structured_422(client, session):
    headers = token(client, make_user(session, "admin"))
    response = client.get("/api/v1/units", params={"at": "not-a-date", "limit": 9999}, headers=headers)
    assert response.status_code == 422
    paths = {e["path"] for e in response.json()["errors"]}
    assert paths == {"query.at", "query.limit"}
    bad_cursor = client.get("/api/v1/units", params={"cursor": "%%%"}, headers=headers)
    assert bad_cursor.status_code == 400 and bad_cursor.json()["code"] == "invalid_cursor"


def test_a_forged_cursor_answers_400_not_a_server_error(client, session):
    from app.core.pagination import encode_cursor

    headers = token(client, make_user(session, "admin"))
    for path, forged in (("/api/v1/units", ["xa", "not-an-id"]), ("/api/v1/plans", ["yesterday", 1]),
                         ("/api/v1/activities", ["2026-13-45", "x"]), ("/api/v1/audit", [1])):
        response = client.get(path, params={"cursor": encode_cursor(forged)}, headers=headers)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["code"] == "invalid_cursor"
