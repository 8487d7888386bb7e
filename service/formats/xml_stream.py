"""Reading an XML export as a stream of elements: what the WXR and Disqus readers share. The parser is defusedxml's
(entity declarations and external references refused: how XML bombs and file reads are made; exports never use
them), and every parse error becomes a MalformedSource naming the file's own line and column."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO
from xml.etree.ElementTree import Element, ParseError
from xml.parsers.expat import ErrorString

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from service.formats.records import MalformedSource


class _AfterLeadingSpace:
    """A byte stream without the blank lines (and byte order mark) some writers put before `<?xml`, which XML parsers
    refuse (Remark42's WordPress fixtures start with a newline)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._head: bytes | None = None
        self.skipped_lines = 0  # what the parser's line numbers must be shifted by, to name the file's own lines

    def read(self, size: int = -1) -> bytes:
        if self._head is None:
            head = self._stream.read(4096).removeprefix(b"\xef\xbb\xbf")
            self._head = head.lstrip()
            self.skipped_lines = head[: len(head) - len(self._head)].count(b"\n")
        if self._head:
            head, self._head = self._head, b""
            return head
        return self._stream.read(size)


def elements(stream: IO[bytes], events: tuple[str, ...] = ("end",)) -> Iterator[tuple[str, Element]]:
    """(event, element) as iterparse gives them; MalformedSource for a file that is not well-formed XML."""
    source = _AfterLeadingSpace(stream)
    try:
        yield from iterparse(source, events=events)
    except ParseError as exc:
        line, column = exc.position
        raise MalformedSource(
            f"line {line + source.skipped_lines}, column {column}", f"not well-formed XML ({ErrorString(exc.code)})"
        ) from exc
    except DefusedXmlException as exc:
        raise MalformedSource("the document", f"refused: {exc}") from exc
