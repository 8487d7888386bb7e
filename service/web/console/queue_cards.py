"""The queue page's items, each rendered once per content and kept as HTML.

A moderator reloads the queue all day and sees mostly the same items; rendering 25 items through Jinja was most of
the page's CPU (about 115 template chunks and 55 escapes an item). An item's HTML depends only on what the item holds
(its fields, scores, reasons and author history: the whole QueueItem, used as the key), the page's order, and the
session's CSRF token. The token is rendered as a per-process random placeholder and put in per request, so one kept
fragment serves every session, and a reply's author cannot plant the placeholder (it is not known outside the
process). Keyed by content, a kept fragment is never stale: a changed item is a new key.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from jinja2 import Environment
from markupsafe import Markup, escape

from service.domain.views import QueueItem

TEMPLATE = "console/_queue_item.html"


@dataclass
class QueueCards:
    max_entries: int = 4096  # about 3 KB each: ~12 MB at most
    _placeholder: str = field(default_factory=lambda: f"rg-csrf-{secrets.token_hex(16)}")
    _kept: OrderedDict[tuple[str, bytes], str] = field(default_factory=OrderedDict)

    def render(
        self,
        environment: Environment,
        item: QueueItem,
        card: Callable[[QueueItem], dict[str, Any]],
        *,
        order: str,
        csrf_token: str,
    ) -> Markup:
        """The item's <li> for this session: kept HTML when the same content was shown before, else rendered."""
        key = (order, msgspec.json.encode(item))
        html = self._kept.get(key)
        if html is None:
            context = {"card": card(item), "session": {"csrf_token": self._placeholder}, "order": order}
            html = environment.get_template(TEMPLATE).render(context)
            self._kept[key] = html
            while len(self._kept) > self.max_entries:
                self._kept.popitem(last=False)
        else:
            self._kept.move_to_end(key)
        return Markup(html.replace(self._placeholder, escape(csrf_token)))  # noqa: S704 - Jinja-escaped, token too
