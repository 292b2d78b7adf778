"""Houses and rooms over HTTP: the API's PATCH and room routes, the 409 for a second
registration of one house, and the edit page of a landlord and of an official."""
from __future__ import annotations

import re

from tests.factories import submit, token


def test_api_edits_houses_and_rooms_and_refuses_a_duplicate(site):
    world, client = site.world, site.client
    landlord = token(client, world.landlord.username)
    house_id = world.house["house_id"]
    again = client.post("/api/v1/houses", headers=landlord, json={
        "address": "长兴县雉城街道明珠路88号", "division_code": "330522001000",
        "landlord_person_code": world.landlord.person_code,
        "rooms": [{"label": "1", "capacity": 1}]})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "house_exists"
    assert f"房屋编号 {house_id}" in again.json()["error"]["message_zh"]
    moved = client.patch(f"/api/v1/houses/{house_id}", headers=landlord,
                         json={"address": "长兴县雉城街道明珠路 90 号"})
    assert moved.status_code == 200 and moved.json()["address"].endswith("90 号")
    added = client.post(f"/api/v1/houses/{house_id}/rooms", headers=landlord,
                        json={"label": "201", "capacity": 2})
    assert added.status_code == 201
    room = next(r["room_id"] for r in added.json()["rooms"] if r["label"] == "201")
    changed = client.patch(f"/api/v1/houses/{house_id}/rooms/{room}", headers=landlord,
                           json={"capacity": 4})
    assert changed.status_code == 200
    assert next(r for r in changed.json()["rooms"] if r["room_id"] == room)["capacity"] == 4
    gone = client.delete(f"/api/v1/houses/{house_id}/rooms/{room}", headers=landlord)
    assert gone.status_code == 200 and room not in {r["room_id"] for r in gone.json()["rooms"]}
    # occupied rooms stay; other people's houses do not exist; bad input is said plainly
    submit(world.db, world.resident, world.resident.person_code, world.room_id)
    busy = client.delete(f"/api/v1/houses/{house_id}/rooms/{world.room_id}", headers=landlord)
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "room_occupied"
    stranger = token(client, world.grid_other_township.username)
    assert client.patch(f"/api/v1/houses/{house_id}", headers=stranger,
                        json={"address": "某路 1 号"}).status_code == 404
    bad = client.patch(f"/api/v1/houses/{house_id}/rooms/{world.room_id}", headers=landlord,
                       json={"capacity": "many"})
    assert bad.status_code == 422
    assert bad.json()["error"]["message_zh"] == "核定人数：应填写整数"


def test_landlord_edits_a_house_on_the_page(site):
    world = site.world
    house_id = world.house["house_id"]
    site.login(world.landlord.username)
    houses = site.client.get("/landlord/houses").text
    assert f'href="/houses/{house_id}/edit"' in houses
    page = site.client.get(f"/houses/{house_id}/edit").text
    # the place is picked by name from townships and their villages
    assert '<optgroup label="雉城街道">' in page and '<option value="330522001000" selected>' in page
    done = site.post(f"/houses/{house_id}", {"address": "长兴县雉城街道明珠路 90 号",
                                             "division_code": "330522001001"},
                     f"/houses/{house_id}/edit")
    assert done.status_code == 200 and "房屋信息已更新" in done.text
    assert 'value="长兴县雉城街道明珠路 90 号"' in done.text
    added = site.post(f"/houses/{house_id}/rooms", {"label": "301", "capacity": "2"},
                      f"/houses/{house_id}/edit")
    assert "房间已增加" in added.text and 'value="301"' in added.text
    rooms = re.findall(r'action="/houses/\d+/rooms/(\d+)/remove"', added.text)
    assert rooms  # rooms nobody lives in can be removed ...
    asked = site.post(f"/houses/{house_id}/rooms/{rooms[-1]}/remove", {},
                      f"/houses/{house_id}/edit")
    assert asked.status_code == 200 and "确定从这处房屋删除这个房间吗" in asked.text  # ... asked
    # a refusal shows on the page, with what was typed kept
    submit(world.db, world.resident, world.resident.person_code, world.room_id)
    submit(world.db, world.police, world.landlord.person_code, world.room_id)
    low = site.post(f"/houses/{house_id}/rooms/{world.room_id}", {"label": "101", "capacity": "1"},
                    f"/houses/{house_id}/edit")
    assert low.status_code == 409 and "核定人数不能少于在住登记人数（2 人）" in low.text
    assert 'value="1" required aria-label="核定人数 101" aria-invalid="true"' in low.text


def test_officials_find_houses_by_address_and_a_duplicate_is_named(site):
    world = site.world
    site.login(world.grid.username)
    assert 'href="/houses"' in site.client.get("/").text  # in the menu
    found = site.client.get("/houses", params={"q": "明珠"}).text
    assert "明珠路 88 号" in found and f'/houses/{world.house["house_id"]}/edit' in found
    assert "明珠路" not in site.client.get("/houses", params={"q": "不存在的路"}).text.split(
        "<main")[1].split("</form>")[1]
    site.client.cookies.clear()
    site.login(world.landlord.username)
    twice = site.post("/landlord/houses/new", {"address": "长兴县雉城街道明珠路88#",
                                               "division_code": "330522001000",
                                               "room_label": "1", "room_capacity": "1"},
                      "/landlord/houses/new")
    assert twice.status_code == 409
    assert f"房屋编号 {world.house['house_id']}：长兴县雉城街道明珠路 88 号" in twice.text
