"""SQLitePersistence: data written by one instance is read back by a new one."""

from __future__ import annotations

import pytest
from telegram.ext import BasePersistence

from storage.db import open_database
from storage.persistence import SQLitePersistence


async def test_is_a_complete_base_persistence(db_path):
    persistence = SQLitePersistence(db_path)
    assert isinstance(persistence, BasePersistence)
    assert persistence.update_interval == 5
    await persistence.flush()  # nothing opened yet


async def test_round_trip_through_a_new_instance(db_path):
    writer = SQLitePersistence(db_path)
    await writer.update_user_data(111, {"lang": "vi", "draft": {"name": "Nguyễn Văn A"}})
    await writer.update_user_data(222, {"lang": "en"})
    await writer.update_chat_data(-1001, {"unit_id": 7})
    await writer.update_bot_data({"version": 2, "ids": [1, 2]})
    await writer.update_callback_data(([("kb1", 1700000000.5, {"btn": "x"})], {"q1": "kb1"}))
    await writer.update_conversation("add_candidate", (-1001, 111), 3)
    await writer.update_conversation("add_candidate", (222, 222), "ASK_NAME")
    await writer.flush()

    reader = SQLitePersistence(db_path)
    try:
        user_data = await reader.get_user_data()
        assert user_data == {
            111: {"lang": "vi", "draft": {"name": "Nguyễn Văn A"}},
            222: {"lang": "en"},
        }
        assert all(isinstance(key, int) for key in user_data)
        chat_data = await reader.get_chat_data()
        assert chat_data == {-1001: {"unit_id": 7}}
        assert await reader.get_bot_data() == {"version": 2, "ids": [1, 2]}
        assert await reader.get_callback_data() == (
            [("kb1", 1700000000.5, {"btn": "x"})],
            {"q1": "kb1"},
        )
        assert await reader.get_conversations("add_candidate") == {
            (-1001, 111): 3,
            (222, 222): "ASK_NAME",
        }
        assert await reader.get_conversations("other") == {}
    finally:
        await reader.flush()


async def test_empty_database_gives_empty_data(db_path):
    persistence = SQLitePersistence(db_path)
    try:
        assert await persistence.get_user_data() == {}
        assert await persistence.get_chat_data() == {}
        assert await persistence.get_bot_data() == {}
        assert await persistence.get_callback_data() is None
    finally:
        await persistence.flush()


async def test_updates_replace_and_none_state_ends_conversation(db_path):
    persistence = SQLitePersistence(db_path)
    try:
        await persistence.update_conversation("conv", (1, 2), 1)
        await persistence.update_conversation("conv", (1, 2), 2)
        assert await persistence.get_conversations("conv") == {(1, 2): 2}
        await persistence.update_conversation("conv", (1, 2), None)
        assert await persistence.get_conversations("conv") == {}

        await persistence.update_user_data(5, {"a": 1})
        await persistence.update_user_data(5, {"a": 2})
        assert await persistence.get_user_data() == {5: {"a": 2}}
    finally:
        await persistence.flush()


async def test_drop_user_and_chat_data(db_path):
    persistence = SQLitePersistence(db_path)
    try:
        await persistence.update_user_data(1, {"x": 1})
        await persistence.update_user_data(2, {"x": 2})
        await persistence.update_chat_data(3, {"y": 3})
        await persistence.drop_user_data(1)
        await persistence.drop_chat_data(3)
        assert await persistence.get_user_data() == {2: {"x": 2}}
        assert await persistence.get_chat_data() == {}
    finally:
        await persistence.flush()


async def test_flush_closes_and_later_use_reopens(db_path):
    persistence = SQLitePersistence(db_path)
    await persistence.update_bot_data({"n": 1})
    await persistence.flush()
    await persistence.update_bot_data({"n": 2})
    try:
        assert await persistence.get_bot_data() == {"n": 2}
    finally:
        await persistence.flush()


async def test_non_json_data_is_refused(db_path):
    persistence = SQLitePersistence(db_path)
    try:
        with pytest.raises(TypeError):
            await persistence.update_user_data(1, {"when": object()})
    finally:
        await persistence.flush()


async def test_connection_factory_and_writes_beside_app_connection(db_path):
    app_conn = await open_database(db_path)
    persistence = SQLitePersistence(lambda: open_database(db_path))
    try:
        await app_conn.execute("INSERT INTO people (full_name) VALUES ('Trần Thị B')")
        await persistence.update_chat_data(9, {"ok": True})
        rows = await app_conn.execute_fetchall("SELECT chat_id FROM ptb_chat_data")
        assert [row[0] for row in rows] == [9]
    finally:
        await persistence.flush()
        await app_conn.close()
