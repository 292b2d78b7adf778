def test_smoke(site):
    c = site.client
    r = c.get("/", follow_redirects=False)
    print(r.status_code, r.headers.get("location"))
    r = site.login(site.world.resident.username)
    print(r.status_code, r.headers.get("location"), r.headers.get("set-cookie"))
    for p in ["/", "/me/registrations", "/me/register?q=明珠", "/me/permit", "/me/access-log", "/persons"]:
        r = c.get(p)
        print(p, r.status_code, len(r.text))
        if r.status_code >= 400: print(r.text[:3000])
    r = site.post("/me/register", {"q": "明珠", "room_id": site.world.room_id, "start_date": "2026-01-05", "reason": "work", "idempotency_key": "k1"}, "/me/register?q=明珠")
    print(r.status_code, r.url)
    print(r.text[r.text.find("<main"):][:2500])
