"""The baseline: a bare Litestar app doing the least a submit and a list can do, served like replyguard."""

from __future__ import annotations

import msgspec
from litestar import Litestar, get, post


class Reply(msgspec.Struct):
    name: str
    email: str
    body: str


class Stored(msgspec.Struct):
    id: int
    name: str
    body: str


ITEMS = [Stored(id=n, name=f"reader {n}", body="A short reply under an article.") for n in range(20)]


@post("/bare/comments", status_code=201)
async def submit(data: Reply) -> Stored:
    return Stored(id=1, name=data.name, body=data.body)


@get("/bare/comments")
async def list_comments() -> list[Stored]:
    return ITEMS


app = Litestar([submit, list_comments], openapi_config=None)
