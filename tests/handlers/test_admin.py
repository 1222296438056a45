"""/nhatky: administrators read who viewed or changed what; nobody else does."""

from __future__ import annotations

from bot.app import create_application, start_polling, stop_application


async def test_an_admin_sees_who_viewed_a_candidate_and_a_secretary_cannot(
        org, settings, emulator, chat, lan, stranger):
    admin_settings = settings.model_copy(update={"admin_ids": [stranger.id]})
    app = await create_application(admin_settings, token="123456:TEST-TOKEN",
                                   base_url=f"{emulator.url}/bot")
    await start_polling(app, poll_timeout=1)
    try:
        await chat.say(lan.id, "/tiendo hoang minh tuan")
        log = await chat.say(stranger.id, "/nhatky")
        assert log.startswith("Hoạt động gần đây:")
        assert "Nguyễn Thị Lan đã xem: Hoàng Minh Tuấn" in log
        assert "Chỉ quản trị viên" in await chat.say(lan.id, "/nhatky")
    finally:
        await stop_application(app)
