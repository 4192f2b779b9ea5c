"""日督导 in the console: who is on patrol (with the live map's data), who has not patrolled,
a day's patrols, one patrol's track with its reports — for dispatchers and admins only."""

from __future__ import annotations

from typing import Any

from tests.admin.conftest import logged_in

WORKER = 200006  # 邱春梅


async def _walk(app: Any, msg: int, steps: int = 4) -> Any:
    home = app.registry.tree.get("G-01-02-01-01").geometry.representative_point()
    await app.patrols.start(WORKER, msg, home.y, home.x, 3600, app.clock.now())
    for i in range(1, steps + 1):
        app.clock.advance(minutes=2)
        await app.patrols.update(WORKER, msg, home.y + 0.0005 * i, home.x, True, app.clock.now())
    return home


async def test_the_daily_watch(admin_app: Any, app: Any, users: Any) -> None:
    await _walk(app, 1)
    await app.patrols.end(WORKER)
    await _walk(app, 2, steps=2)  # on patrol again now
    c = await logged_in(admin_app, "dispatcher")
    page = await c.get("/patrols")
    assert page.status_code == 200
    now_part = page.text.split('id="patrols-now"', 1)[1].split("</section>", 1)[0]
    assert "正在巡查（1 人）" in now_part and "邱春梅" in now_part
    missing = page.text.split('id="not-today"', 1)[1].split("</p>", 1)[0]
    assert "李建国" in missing and "邱春梅" not in missing
    assert "巡查记录（2 次）" in page.text
    live = (await c.get("/api/patrols.json")).json()
    assert [w[2] for w in live["live"]] == ["邱春梅"] and live["tracks"] == []
    first = live["live"][0][3] - 1
    detail = await c.get(f"/patrols/{first}")
    assert detail.status_code == 200 and "巡查轨迹 · 邱春梅" in detail.text and "网格员结束" in detail.text
    track = (await c.get(f"/api/patrols.json?patrol={first}")).json()
    assert len(track["tracks"][0]["points"]) == 5
    assert (await c.get("/patrols/999999")).status_code == 404


async def test_tracks_are_not_for_viewers(admin_app: Any, app: Any, users: Any) -> None:
    await _walk(app, 1)
    c = await logged_in(admin_app, "viewer")
    assert (await c.get("/patrols")).status_code == 403
    assert (await c.get("/api/patrols.json")).status_code == 403
    assert (await c.get("/patrols/1")).status_code == 403
    admin = await logged_in(admin_app, "admin")
    assert (await admin.get("/patrols/1")).status_code == 200


async def test_attendance_on_the_assessment_page(admin_app: Any, app: Any, users: Any) -> None:
    await _walk(app, 1, steps=20)  # 40 minutes: a patrol day
    await app.patrols.end(WORKER)
    c = await logged_in(admin_app, "viewer")
    page = await c.get("/assessment?month=2026-11")
    assert page.status_code == 200
    part = page.text.split('id="patrol-attendance"', 1)[1].split("</section>", 1)[0]
    assert "巡查出勤" in part and "邱春梅" in part and 'id="grid-attendance"' in part
    row = part.split("邱春梅", 1)[1].split("</tr>", 1)[0]
    assert "1/" in row  # one credited day


async def test_patrol_settings_in_the_policy_form(admin_app: Any, app: Any, users: Any) -> None:
    from tests.admin.test_policy_edit import change, form_fields, post

    c = await logged_in(admin_app, "admin")
    page = await c.get("/config/policy")
    assert 'id="policy-patrol"' in page.text and "每周巡查天数要求" in page.text
    fields = form_fields(page.text)
    assert ("pat_weekly_days", "2") in fields and ("pat_digest_time", "08:00") in fields
    bad = await post(c, change(fields, pat_weekly_days="9"))
    assert bad.status_code == 400 and "每周巡查天数要求" in bad.text and "0 到 7 之间的整数" in bad.text
    assert app.registry.policy.patrol.weekly_days == 2
    ok = await post(c, change(fields, pat_weekly_days="3", pat_outside_minutes="20", pat_digest_time="07:30"))
    assert ok.status_code == 303
    patrol = app.registry.policy.patrol
    assert (patrol.weekly_days, patrol.rules.outside_minutes, patrol.digest_time.strftime("%H:%M")) == (
        3, 20.0, "07:30")
