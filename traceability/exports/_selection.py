"""What an export covers: one lot's chain, a time range, or everything; and its one parser.

The command line (``agritrace export … --lot/--gtin/--from/--to``) and the app (the
regulator's ``/api/v1/exports/{kind}?gtin=&lot=&from=&to=`` and its export page) hand their
text to :func:`parse_selection`, so both accept and refuse exactly the same selections and
word the refusals the same way; only the field names differ, and each caller passes its
own (:class:`SelectionFields`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from traceability._errors import ValidationError
from traceability.events._ids import lot_key
from traceability.projection._read import Projection

__all__ = ["ExportSelection", "SelectionFields", "parse_selection"]


@dataclass(frozen=True)
class SelectionFields:
    """The names a caller gives the selection's fields, used in its error messages."""

    gtin: str = "gtin"
    lot: str = "lot"
    start: str = "start"
    end: str = "end"


def _check_lot_or_range(
    lot: str | None, start: object, end: object, fields: SelectionFields
) -> None:
    if lot is not None and (start is not None or end is not None):
        name, given = (fields.start, start) if start is not None else (fields.end, end)
        expected = f"either {fields.lot} or {fields.start}/{fields.end}, not both"
        raise ValidationError(name, expected, given)


def _check_range(
    start: datetime | None,
    end: datetime | None,
    fields: SelectionFields,
    texts: tuple[str | None, str | None] = (None, None),
) -> None:
    # ``texts``: the caller's own words for start and end, quoted back in the refusal.
    for moment, name in ((start, fields.start), (end, fields.end)):
        if moment is not None and moment.tzinfo is None:
            raise ValidationError(name, "a time with a UTC offset", moment.isoformat())
    if start is not None and end is not None and end <= start:
        since = texts[0] or start.isoformat()
        raise ValidationError(
            fields.end, f"a time after {fields.start} ({since})", texts[1] or end.isoformat()
        )


@dataclass(frozen=True)
class ExportSelection:
    """Which events an export holds: a lot's chain, a time range, or (the default) all.

    With ``gtin`` and ``lot``: every event about the lot, what it was made from and what was
    made from it (a sibling graded from the same harvest lot is not in the chain). With
    ``start`` and/or ``end``: events whose event time is at or after ``start`` and before
    ``end``. A lot and a range together, a lot without its GTIN, a time without an offset
    or an end not after the start cannot be made (:class:`ValidationError`).
    """

    gtin: str | None = None
    lot: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        fields = SelectionFields()
        if (self.gtin is None) != (self.lot is None):
            missing = fields.gtin if self.gtin is None else fields.lot
            raise ValidationError(missing, "a GTIN and a lot code together", None)
        _check_lot_or_range(self.lot, self.start, self.end, fields)
        _check_range(self.start, self.end, fields)

    @property
    def key(self) -> str | None:
        """The lot's element-string key when the selection is a lot's chain, else None."""
        return None if self.gtin is None or self.lot is None else lot_key(self.gtin, self.lot)

    @property
    def is_all(self) -> bool:
        """True when the selection is every event on the ledger."""
        return self.lot is None and self.start is None and self.end is None

    def within(self, moment: datetime) -> bool:
        """Whether an event at ``moment`` is in the time range (always, for a lot or all)."""
        return (self.start is None or moment >= self.start) and (
            self.end is None or moment < self.end
        )


def _moment(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    # A date alone means its midnight in UTC, so --from 2026-06-01 --to 2026-06-02 is a day.
    text = value if "T" in value else f"{value}T00:00:00+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as e:
        raise ValidationError(field, "a date (2026-06-01) or RFC 3339 time", value) from e
    if moment.tzinfo is None:
        raise ValidationError(field, "a time with a UTC offset", value)
    return moment


def parse_selection(
    projection: Projection,
    *,
    gtin: str | None = None,
    lot: str | None = None,
    start: str | None = None,
    end: str | None = None,
    fields: SelectionFields = SelectionFields(),
) -> ExportSelection:
    """Return the selection a caller's text names; the lot is found through ``projection``.

    Dates are ``2026-06-01`` (its midnight UTC) or RFC 3339 times with an offset; ``end`` is
    exclusive and must come after ``start``. A lot and a range exclude each other; a GTIN
    needs a lot; a lot alone is the one product's lot of that code. An empty value (a form's
    blank field) counts as not given. Nothing given selects everything.

    Raises:
        ValidationError: the refusal, naming the caller's field (``fields``).
        UnknownError: the lot is not recorded on this ledger (field ``fields.lot``).
    """
    gtin, lot, start, end = (v if v else None for v in (gtin, lot, start, end))
    _check_lot_or_range(lot, start, end, fields)
    if lot is None and gtin is not None:
        raise ValidationError(fields.lot, f"a lot code with {fields.gtin}", None)
    if lot is not None:
        found = projection.resolve(lot, gtin, lot_field=fields.lot, gtin_field=fields.gtin)
        return ExportSelection(gtin=found.gtin, lot=found.lot)
    since, until = _moment(start, fields.start), _moment(end, fields.end)
    _check_range(since, until, fields, (start, end))
    return ExportSelection(start=since, end=until)
