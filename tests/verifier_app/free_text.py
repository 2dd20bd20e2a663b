"""Every free-text field of the domain's statement kinds, found by walking their models.

A field is free text when its type takes what a person writes: a walk through each model
(nested models, tuples, optional values, dict keys and values) reaches every ``str`` leaf,
and the leaf's own type (its annotations and the field's constraints) is asked to accept a
sample of ordinary writing with a space, Chinese and Uyghur. Codes and ids (GTINs, lot
codes, local ids, grades, topics, hashes) have fixed patterns and refuse it; ``Text`` and
a plain, unconstrained ``str`` accept it. So a field added to any model is found without
anyone listing it, and a plain ``str`` that slipped past the text policy is found too.
"""

from __future__ import annotations

import types
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pydantic
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter

from traceability import MrlTable, Profile
from traceability._text import forbidden_character
from traceability.events._events import EVENT_TYPES
from traceability.events._model import Model

__all__ = [
    "KEY",
    "MODELS",
    "PROBE",
    "TEXT",
    "FreeText",
    "free_text_fields",
    "get_path",
    "set_path",
    "string_fields",
]

#: Every statement kind the domain builds a model for: events and master data, and the
#: rule tables (profiles, MRL tables) that reach the ledger as signed statements.
MODELS: Mapping[str, type[Model]] = {
    **EVENT_TYPES,
    Profile.KIND: Profile,
    MrlTable.KIND: MrlTable,
}

#: A path step naming a dict's key (the value sits under the key itself).
KEY = "{key}"

#: What a grower's or a clerk's text looks like: a space, Latin, Chinese, Uyghur.
PROBE = "Hongyan 红颜 ئاق"

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class FreeText:
    """One free-text field: its statement kind, its path in the body, its own type."""

    kind: str
    path: Path
    adapter: TypeAdapter[Any]

    @property
    def name(self) -> str:
        """The path as error messages write it: ``results[0].substance``."""
        out = ""
        for step in self.path:
            if isinstance(step, int):
                out += f"[{step}]"
            elif step != KEY:
                out += f".{step}" if out else step
        return out

    @property
    def label(self) -> str:
        """Kind and path, for test ids and reports (``trace.residue:results[0].substance``)."""
        return f"{self.kind}:{self.name}" + (" (key)" if self.path[-1] == KEY else "")

    def accepts(self, text: str) -> str | None:
        """The value this field's own type makes of ``text`` (normalised), or None if refused."""
        try:
            value = self.adapter.validate_python(text)
        except (pydantic.ValidationError, ValueError):
            return None
        assert isinstance(value, str)
        return value


def _leaves(tp: Any, path: Path, meta: tuple[Any, ...] = ()) -> Iterator[tuple[Path, Any]]:
    """Every ``str`` leaf under type ``tp`` with its path and its full annotated type."""
    origin = get_origin(tp)
    if origin is Annotated:
        base, *more = get_args(tp)
        yield from _leaves(base, path, (*meta, *more))
    elif origin in (Union, types.UnionType):
        # A field's constraints (a pattern on ``str | None``) belong to the non-None arm.
        for arm in get_args(tp):
            if arm is not type(None):
                yield from _leaves(arm, path, meta)
    elif origin in (tuple, list, frozenset, set):
        for item in get_args(tp):
            if item is not Ellipsis:
                yield from _leaves(item, (*path, 0))
    elif origin is dict:
        key, value = get_args(tp)
        yield from _leaves(key, (*path, KEY))
        yield from _leaves(value, (*path, "{value}"))
    elif origin is Literal:
        return  # a fixed list of words
    elif isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, field in tp.model_fields.items():
            yield from _leaves(field.annotation, (*path, name), tuple(field.metadata))
    elif tp is str:
        yield path, Annotated[(str, *meta)] if meta else str


def string_fields(models: Mapping[str, type[Model]] = MODELS) -> list[FreeText]:
    """Every ``str`` leaf of ``models``, codes and ids included, in kind and field order."""
    return [
        FreeText(kind, path, TypeAdapter(leaf))
        for kind in sorted(models)
        for path, leaf in _leaves(models[kind], ())
    ]


def free_text_fields(models: Mapping[str, type[Model]] = MODELS) -> list[FreeText]:
    """The free-text fields of ``models`` (module docstring): the leaves that take writing."""
    return [field for field in string_fields(models) if field.accepts(PROBE) is not None]


def get_path(body: Any, path: Path) -> Any:
    """The value at ``path`` in a statement body (for a dict key: the key itself)."""
    for i, step in enumerate(path):
        if step == KEY:
            assert i == len(path) - 1, "a key path ends at the key"
            assert len(body) == 1, "a key path ends at a one-key dict"
            return next(iter(body))
        body = body[step]
    return body


def set_path(body: Any, path: Path, value: str) -> None:
    """Put ``value`` at ``path`` in ``body`` (for a dict key: rename its one key)."""
    for step in path[:-2] if path[-1] == KEY else path[:-1]:
        body = body[step]
    if path[-1] == KEY:
        inner = body[path[-2]]
        assert len(inner) == 1, "a key path ends at a one-key dict"
        inner[value] = inner.pop(next(iter(inner)))
    else:
        body[path[-1]] = value


# --- the text: ordinary writing in many scripts, and what broke or could break something ----

#: Characters that did or could break a store, a page, a CSV or a terminal.
_NASTY = st.sampled_from(
    ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\n", "\r\n", "\u2028",
     "\u202a", "\u202e", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c",
     "\u200b", "\u2060", "\ufeff", "\u00ad", "\U000e0041", "\ufdd0", "\uffff", "\ud800",
     "\udfff"]
)  # fmt: skip
#: Characters that must pass and still could trip a page, a CSV cell or a database: ZWNJ
#: in Uyghur, an emoji sequence joined by ZWJ, a combining accent (NFC), astral letters,
#: markup, a formula's first character, quotes, a tab, white space around the value.
_SHARP = st.sampled_from(
    ["\t", "\u200c", "\u200d", "e\u0301", "\U0001f353", "\U0001f468\u200d\U0001f469",
     "\U00020000", "\U0001d54f", "ئ", "草莓", "<script>", "</b>", "&amp;", "=1+1", "+86", "-2",
     "@x", "'", '"', "\\", "%2F", "{}", " ", "\u3000", "\u00a0"]
)  # fmt: skip


def _is_text(char: str) -> bool:
    return forbidden_character(char) is None and unicodedata.category(char) != "Cs"


#: Any character a person could type that the policy lets through, astral planes included.
_WRITING = st.text(st.characters(codec="utf-8").filter(_is_text), min_size=1, max_size=12)
#: Very long values: around the 200 code point bound of a name and the 1,000 of a complaint.
_LONG = st.builds(
    lambda piece, times: piece * times,
    st.sampled_from(["a", "草", "ئ", "\U0001f353", "e\u0301", "x "]),
    st.sampled_from([199, 200, 201, 500, 1000, 1001]),
)

#: The text a property test feeds to a field: writing the policy takes (with the sharp
#: characters mixed in), the same with characters it refuses, arbitrary code points
#: (surrogates and controls included), or a very long value.
TEXT = st.one_of(
    _WRITING,
    st.lists(st.one_of(_WRITING, _SHARP), min_size=1, max_size=6).map("".join),
    st.lists(st.one_of(_WRITING, _SHARP, _NASTY), min_size=2, max_size=6).map("".join),
    st.text(max_size=10),
    _LONG,
)
