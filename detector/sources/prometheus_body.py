"""A ``query_range`` answer read series by series, so a large answer never exists as one Python object tree.

``json.loads`` of an answer with 4 million samples builds 4 million small lists, ints and strings
(about 180 bytes a sample, several times the body); here each element of ``data.result`` is
decoded on its own (``JSONDecoder.raw_decode``) and turned into numpy arrays at once, by the same
code as the export reader (``export_json.entry_series``), so a live pull and a saved response give
identical series. Only answers laid out as Prometheus writes them take this path; anything else
(and any answer this reader cannot follow) is read by ``parse_json_export`` whole, which gives the
located error messages.
"""

from __future__ import annotations

import json
import re

from detector.core.series import DataNote
from detector.errors import DataError
from detector.sources.base import RawSeries
from detector.sources.export_json import entry_series, parse_json_export

_HEAD = re.compile(r'\s*\{\s*"status"\s*:\s*"success"\s*,\s*"data"\s*:\s*\{\s*"resultType"\s*:\s*"matrix"\s*,\s*"result"\s*:\s*\[\s*')
_DECODER = json.JSONDecoder()


class _Irregular(Exception):
    """The text is not laid out as this reader expects: read it whole instead."""


def parse_range_answer(text: str, where: str, signal: str) -> tuple[list[RawSeries], list[DataNote]]:
    """The series and notes of a ``query_range`` answer, exactly as ``parse_json_export`` gives them."""
    try:
        return _by_series(text, where, signal)
    except (_Irregular, ValueError, RecursionError, DataError):  # the whole-text reader has the located message
        return parse_json_export(text, where, signal)


def _by_series(text: str, where: str, signal: str) -> tuple[list[RawSeries], list[DataNote]]:
    head = _HEAD.match(text)
    if head is None:
        raise _Irregular()
    position = head.end()
    series: list[RawSeries] = []
    notes: list[DataNote] = []
    index = 0
    while not text.startswith("]", position):
        entry, position = _DECODER.raw_decode(text, position)
        one = entry_series(entry, index, where, signal, notes)
        if one is not None:
            series.append(one)
        index += 1
        position = _skip_space(text, position)
        if text.startswith(",", position):
            position = _skip_space(text, position + 1)
        elif not text.startswith("]", position):
            raise _Irregular()
    tail = json.loads('{"data": {"result": [' + text[position:], object_pairs_hook=list)  # it must close the document
    keys = [key for key, _ in tail]
    if keys[0] != "data" or tail[0][1] != [("result", [])] or set(keys[1:]) - {"warnings", "infos"}:
        raise _Irregular()  # more after the result (or a key twice): read it whole
    return series, notes


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position
