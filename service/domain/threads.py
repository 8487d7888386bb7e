"""The shape of a thread: where a new reply attaches, and how a page of replies nests, within the depth limit."""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from service.domain.views import PublicComment, public_view


@dataclass(frozen=True, slots=True)
class Place:
    """Where a new reply goes in its thread."""

    parent_id: uuid.UUID | None
    root_id: uuid.UUID | None
    depth: int  # how many ancestors it has


TOP_LEVEL = Place(parent_id=None, root_id=None, depth=0)


def place_reply(parent: Any, *, max_depth: int, anchors: dict[uuid.UUID, uuid.UUID]) -> Place:
    """A reply to `parent`, no deeper than the thread's last level: under the parent while there is room, else under
    the parent's ancestor one level above the last, where it sits at the last level beside the comment it answers
    (`anchors` holds that ancestor for parents stored deeper than the limit allows)."""
    root_id = parent.root_id or parent.id
    if parent.depth + 1 < max_depth:
        return Place(parent_id=parent.id, root_id=root_id, depth=parent.depth + 1)
    last = max_depth - 1
    anchor = parent.parent_id if parent.depth == last else anchors.get(parent.id)
    if anchor is None:  # a chain whose stored depths disagree (rows written outside the service): the thread's top
        return Place(parent_id=root_id, root_id=root_id, depth=1)
    return Place(parent_id=anchor, root_id=root_id, depth=last)


def nest_replies(items: list[PublicComment], replies: Sequence[Any], *, max_depth: int) -> None:
    """Hang each reply (oldest first) under its parent, the top level being level 1. A reply below `max_depth`
    (stored before the limit, or before it was lowered) is served at the last level, in the replies of its ancestor
    one level up, with its own parent_id. A loop, not recursion: no stored chain can exhaust the stack, and the
    answer nests at most `max_depth` levels for the encoder. A reply whose parent is not shown is not shown either.
    """
    children: dict[uuid.UUID, list[Any]] = {}
    for reply in replies:
        children.setdefault(reply.parent_id, []).append(reply)
    # Each shown comment, its level, and the comment its own replies hang under (itself, or at the last level its
    # parent).
    waiting = deque((item, 1, item) for item in items)
    gathered: dict[uuid.UUID, PublicComment] = {}  # comments whose replies gained deeper ones: sorted at the end
    while waiting:
        comment, level, holder = waiting.popleft()
        for row in children.pop(comment.id, ()):
            node = public_view(row)
            holder.replies.append(node)
            if holder is comment:
                node_level = level + 1
            else:
                node_level = level
                gathered[holder.id] = holder
            waiting.append((node, node_level, node if node_level < max_depth else holder))
    for holder in gathered.values():
        holder.replies.sort(key=lambda node: (node.created_at, node.id))
