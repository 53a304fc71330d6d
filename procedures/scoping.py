"""Which units a member of staff works in or oversees.

The unit tree (a few hundred rows) is held in memory per process and rebuilt when a unit changes.
"""

from collections import defaultdict

from procedures.caching import SharedVersionedValue
from procedures.models.staff import OVERSIGHT_ROLES, PROCESSING_ROLES


def _load_children() -> dict[int | None, tuple[int, ...]]:
    from procedures.models import Unit

    children: dict[int | None, list[int]] = defaultdict(list)
    for unit_id, parent_id in Unit.objects.values_list("id", "parent_id"):
        children[parent_id].append(unit_id)
    return {parent: tuple(kids) for parent, kids in children.items()}


unit_tree = SharedVersionedValue("motcua:unit-tree", _load_children)


def subtree_ids(unit_id: int) -> frozenset[int]:
    """The unit and every unit below it."""
    children = unit_tree.get()
    found = {unit_id}
    stack = [unit_id]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return frozenset(found)


def processing_unit_ids(user) -> frozenset[int] | None:
    """Units whose dossiers the user may act on; None means every unit (administrators)."""
    if not user.is_active:
        return frozenset()
    if user.is_admin:
        return None
    if user.effective_role not in PROCESSING_ROLES or user.unit_id is None:
        return frozenset()
    if user.covers_child_units:
        return subtree_ids(user.unit_id)
    return frozenset({user.unit_id})


def readable_unit_ids(user) -> frozenset[int] | None:
    """Units whose dossiers the user may read; None means every unit."""
    if not user.is_active:
        return frozenset()
    if user.is_admin:
        return None
    if user.effective_role in OVERSIGHT_ROLES and user.unit_id is not None:
        return subtree_ids(user.unit_id)
    return processing_unit_ids(user)


def may_process_in(user, unit_id: int) -> bool:
    allowed = processing_unit_ids(user)
    return allowed is None or unit_id in allowed
