"""Candidate search, effective events and access scopes over a real SQLite file."""

from __future__ import annotations

from datetime import date

from bot.access import can_manage_candidate, has_any_role
from storage import candidates, people, units
from storage.access import Scope, scope_for, units_in_scope
from storage.candidates import effective_events, search_candidates


async def _tree(conn) -> dict[str, int]:
    """Province -> communes A, B -> cells; a youth base and branch under commune A."""
    ids = {"province": await units.add_unit(conn, "province_committee", "Tỉnh ủy")}
    ids["a"] = await units.add_unit(conn, "commune_committee", "Xã An", parent_id=ids["province"])
    ids["b"] = await units.add_unit(conn, "commune_committee", "Xã Bình", parent_id=ids["province"])
    ids["a1"] = await units.add_unit(conn, "cell", "Chi bộ Thôn 1", parent_id=ids["a"])
    ids["a2"] = await units.add_unit(conn, "cell", "Chi bộ Thôn 2", parent_id=ids["a"])
    ids["b1"] = await units.add_unit(conn, "cell", "Chi bộ Trường", parent_id=ids["b"])
    ids["youth_base"] = await units.add_unit(conn, "youth_base", "Đoàn xã An", parent_id=ids["a"])
    ids["branch"] = await units.add_unit(
        conn, "youth_branch", "Chi đoàn Thôn 1", parent_id=ids["youth_base"]
    )
    return ids


async def _people(conn, ids) -> dict[str, int]:
    """Candidates spread over the cells of both communes."""
    add = candidates.add_candidate
    return {
        "mai": await add(conn, "Nguyễn Thị Mai", ids["a1"], birth_date=date(2000, 5, 1)),
        "mai_b": await add(conn, "Trần Thị Mai", ids["b1"]),
        "nguyen_mai_b": await add(conn, "Nguyễn Thị Mai", ids["b1"]),
        "hoa": await add(conn, "Lê Thị Hoà", ids["a2"]),
        "maianh": await add(conn, "Nguyễn Mai Anh", ids["a2"]),
        "dao": await add(conn, "Đào Văn Hùng", ids["a1"]),
        "branch_only": await add(conn, "Phạm Văn Đông", ids["b1"], youth_branch_id=ids["branch"]),
    }


def _names(rows) -> list[str]:
    """Full names of search results in order."""
    return [row["full_name"] for row in rows]


async def test_search_without_diacritics_and_in_any_word_order(conn):
    ids = await _tree(conn)
    cands = await _people(conn, ids)
    scope = [ids["a1"], ids["a2"]]
    rows = await search_candidates(conn, "nguyen thi mai", scope)
    assert [row["id"] for row in rows] == [cands["mai"]]
    row = rows[0]
    assert row["full_name"] == "Nguyễn Thị Mai" and row["birth_date"] == "2000-05-01"
    assert row["cell_id"] == ids["a1"] and row["cell_name"] == "Chi bộ Thôn 1"
    assert row["stage"] is None and row["stage_date"] is None
    reordered = await search_candidates(conn, "mai nguyen", scope)
    assert [r["id"] for r in reordered] == [cands["mai"], cands["maianh"]]
    assert _names(await search_candidates(conn, "hoa", scope)) == ["Lê Thị Hoà"]
    assert _names(await search_candidates(conn, "HÒA", scope)) == ["Lê Thị Hoà"]
    assert _names(await search_candidates(conn, "dao", scope)) == ["Đào Văn Hùng"]


async def test_search_orders_exact_then_given_name_then_alphabetical(conn):
    ids = await _tree(conn)
    await _people(conn, ids)
    extra = await candidates.add_candidate(conn, "Mai", ids["a1"])
    scope = [ids["a1"], ids["a2"]]
    rows = await search_candidates(conn, "mai", scope)
    assert [row["id"] for row in rows][0] == extra
    assert _names(rows) == ["Mai", "Nguyễn Thị Mai", "Nguyễn Mai Anh"]
    assert _names(await search_candidates(conn, "mai", scope, limit=2)) == [
        "Mai", "Nguyễn Thị Mai"
    ]


async def test_search_never_returns_out_of_scope_candidates(conn):
    ids = await _tree(conn)
    cands = await _people(conn, ids)
    rows = await search_candidates(conn, "mai", [ids["b1"]])
    assert {row["id"] for row in rows} == {cands["mai_b"], cands["nguyen_mai_b"]}
    assert await search_candidates(conn, "mai", []) == []
    assert await search_candidates(conn, "", [ids["a1"]]) == []
    assert await search_candidates(conn, "   ", [ids["a1"]]) == []
    assert await search_candidates(conn, "mai", [ids["a"]]) == []  # a commune has no candidates
    assert await search_candidates(conn, "zzz", [ids["a1"], ids["b1"]]) == []


async def test_search_matches_youth_branch_in_scope(conn):
    ids = await _tree(conn)
    cands = await _people(conn, ids)
    rows = await search_candidates(conn, "dong", [ids["branch"]])
    assert [row["id"] for row in rows] == [cands["branch_only"]]
    assert rows[0]["cell_name"] == "Chi bộ Trường"


async def test_search_ignores_like_wildcards(conn):
    ids = await _tree(conn)
    await _people(conn, ids)
    assert await search_candidates(conn, "%", [ids["a1"], ids["a2"]]) == []
    assert await search_candidates(conn, "_", [ids["a1"], ids["a2"]]) == []


async def test_current_stage_reflects_corrections(conn):
    ids = await _tree(conn)
    cands = await _people(conn, ids)
    mai = cands["mai"]
    first = await candidates.add_stage_event(conn, mai, "identified", date(2025, 1, 10))
    wrong = await candidates.add_stage_event(conn, mai, "ceremony_held", date(2025, 6, 1))
    [row] = await search_candidates(conn, "nguyen thi mai", [ids["a1"]])
    assert (row["stage"], row["stage_date"]) == ("ceremony_held", "2025-06-01")
    fixed = await candidates.add_stage_event(
        conn, mai, "application_filed", date(2025, 5, 20), supersedes_id=wrong
    )
    [row] = await search_candidates(conn, "nguyen thi mai", [ids["a1"]])
    assert (row["stage"], row["stage_date"]) == ("application_filed", "2025-05-20")
    effective = await effective_events(conn, mai)
    assert [event["id"] for event in effective] == [first, fixed]
    history = await candidates.events_of(conn, mai)
    assert {event["id"]: event["superseded_by"] for event in history} == {
        first: None, wrong: fixed, fixed: None
    }


async def test_correction_of_a_correction(conn):
    ids = await _tree(conn)
    cands = await _people(conn, ids)
    hoa = cands["hoa"]
    a = await candidates.add_stage_event(conn, hoa, "identified", date(2025, 1, 1))
    b = await candidates.add_stage_event(conn, hoa, "application_filed", date(2025, 2, 1),
                                        supersedes_id=a)
    c = await candidates.add_stage_event(conn, hoa, "identified", date(2025, 1, 2), supersedes_id=b)
    assert [event["id"] for event in await effective_events(conn, hoa)] == [c]
    [row] = await search_candidates(conn, "hoa", [ids["a2"]])
    assert (row["stage"], row["stage_date"]) == ("identified", "2025-01-02")


async def _secretary(conn, unit_id: int, external_id: str = "555") -> int:
    """A person with a telegram identity and a secretary role on ``unit_id``."""
    person = await people.add_person(conn, "Bí thư")
    await people.link_identity(conn, person, "telegram", external_id)
    await people.grant_role(conn, person, unit_id, "cell_secretary")
    return person


async def test_scope_for_is_the_subtree_of_roles(conn):
    ids = await _tree(conn)
    person = await _secretary(conn, ids["a"])
    scope = await scope_for(conn, "telegram", "555")
    assert scope.person_id == person
    assert scope.roles == ((ids["a"], "cell_secretary"),)
    assert scope.unit_ids == {ids["a"], ids["a1"], ids["a2"], ids["youth_base"], ids["branch"]}
    assert not scope.admin and has_any_role(scope)
    assert await scope_for(conn, "telegram", 555) == scope


async def test_scope_unions_several_roles(conn):
    ids = await _tree(conn)
    person = await _secretary(conn, ids["a1"])
    await people.grant_role(conn, person, ids["b1"], "member")
    await people.grant_role(conn, person, ids["a1"], "member")
    scope = await scope_for(conn, "telegram", "555")
    assert scope.roles == tuple(sorted([
        (ids["a1"], "cell_secretary"), (ids["a1"], "member"), (ids["b1"], "member")
    ]))
    assert scope.unit_ids == {ids["a1"], ids["b1"]}


async def test_admin_sees_all_units(conn):
    ids = await _tree(conn)
    all_ids = set(ids.values())
    stranger_admin = await scope_for(conn, "telegram", "999", admin=True)
    assert stranger_admin.person_id is None and stranger_admin.unit_ids == all_ids
    assert stranger_admin.admin and has_any_role(stranger_admin)
    person = await _secretary(conn, ids["a1"])
    known_admin = await scope_for(conn, "telegram", "555", admin=True)
    assert known_admin.person_id == person and known_admin.unit_ids == all_ids


async def test_unknown_identity_has_empty_scope(conn):
    ids = await _tree(conn)
    await _secretary(conn, ids["a"])
    for channel, external_id in [("telegram", "556"), ("zalo", "555")]:
        scope = await scope_for(conn, channel, external_id)
        assert scope == Scope(person_id=None, roles=(), unit_ids=frozenset())
        assert not has_any_role(scope)
        assert await units_in_scope(conn, scope, ["cell"]) == []


async def test_person_without_roles_has_empty_units(conn):
    person = await people.add_person(conn, "Đoàn viên")
    await people.link_identity(conn, person, "telegram", "42")
    scope = await scope_for(conn, "telegram", "42")
    assert scope.person_id == person and scope.roles == () and scope.unit_ids == frozenset()
    assert not has_any_role(scope)


async def test_units_in_scope_by_kind(conn):
    ids = await _tree(conn)
    await _secretary(conn, ids["a"])
    scope = await scope_for(conn, "telegram", "555")
    cells = await units_in_scope(conn, scope, ["cell"])
    assert cells == [
        {"id": ids["a1"], "name": "Chi bộ Thôn 1", "kind": "cell", "parent_id": ids["a"]},
        {"id": ids["a2"], "name": "Chi bộ Thôn 2", "kind": "cell", "parent_id": ids["a"]},
    ]
    both = await units_in_scope(conn, scope, {"cell", "youth_branch"})
    assert [unit["name"] for unit in both] == ["Chi bộ Thôn 1", "Chi bộ Thôn 2", "Chi đoàn Thôn 1"]
    assert await units_in_scope(conn, scope, []) == []


async def test_can_manage_candidate(conn):
    ids = await _tree(conn)
    cands = await _people(conn, ids)
    await _secretary(conn, ids["a"])
    scope = await scope_for(conn, "telegram", "555")
    assert can_manage_candidate(scope, await candidates.get_candidate(conn, cands["mai"]))
    assert not can_manage_candidate(scope, await candidates.get_candidate(conn, cands["mai_b"]))
    assert can_manage_candidate(
        scope, await candidates.get_candidate(conn, cands["branch_only"])
    )
    assert not can_manage_candidate(scope, {})
    assert not can_manage_candidate(scope, {"cell_id": None, "youth_branch_id": None})
