"""Pure permission checks over a :class:`storage.access.Scope`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.access import Scope


def can_manage_candidate(scope: Scope, candidate: Mapping[str, Any]) -> bool:
    """Whether the candidate's cell or youth branch lies within the scope."""
    units = (candidate.get("cell_id"), candidate.get("youth_branch_id"))
    return any(unit is not None and unit in scope.unit_ids for unit in units)


def has_any_role(scope: Scope) -> bool:
    """Whether the user holds at least one role (configured admins count)."""
    return bool(scope.roles) or scope.admin
