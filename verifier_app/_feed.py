"""The alert feed: ``/alerts.atom`` (RFC 4287) and ``/alerts.json`` for platforms and regulators.

New holds, failed residue tests, cold-chain excursions, recalls, complaints, decisions and
labels scanned unusually often, newest first, from :meth:`traceability.Projection.alerts`
(each kind one function in ``traceability/projection/_alerts.py``). Public like the log
itself (every entry behind an alert is in the published tiles); it carries no contact, and
a complaint's text stays on its entry. ``?since=<entry>`` gives only alerts about later
entries, ``?kind=`` one kind (repeatable). The webhook (:mod:`verifier_app._webhook`) posts
the same JSON items.
"""

from __future__ import annotations

from typing import Annotated, Final
from xml.sax.saxutils import escape

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from traceability import Alert
from verifier_app._limits import rate_limited
from verifier_app._settings import Settings
from verifier_app._signing import AppRecorder

__all__ = ["AlertFeed", "AlertOut", "router"]

router = APIRouter(tags=["alerts"], dependencies=[Depends(rate_limited)])

#: The most alerts one answer carries.
MAX_ALERTS: Final = 500


class AlertOut(BaseModel):
    """One alert, as the JSON feed and the webhook send it."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: str
    entry: int | None
    gtin: str
    lot: str
    serial: str | None
    summary: str
    time: str
    #: The lot's scan page (absent for an alert about no lot).
    link: str | None

    @classmethod
    def of(cls, alert: Alert, resolver: str) -> AlertOut:
        """Build from the domain's alert; ``resolver``: the Digital Link host for ``link``."""
        link = None
        if alert.gtin and alert.lot:
            link = f"{resolver.rstrip('/')}/01/{alert.gtin}/10/{alert.lot}"
        return cls(
            id=alert.id,
            kind=alert.kind,
            entry=alert.seq,
            gtin=alert.gtin,
            lot=alert.lot,
            serial=alert.serial,
            summary=alert.summary,
            time=alert.time,
            link=link,
        )


class AlertFeed(BaseModel):
    """The JSON feed: the log's origin and the alerts, newest first."""

    model_config = ConfigDict(frozen=True)

    origin: str
    alerts: list[AlertOut]


def read_alerts(
    holder: AppRecorder, settings: Settings, since: int, kinds: list[str] | None, limit: int
) -> list[AlertOut]:
    """The alerts as the feeds and the webhook send them (blocking: reads the projection).

    Raises:
        traceability.ValidationError: an unknown kind (field ``kind``).
    """
    holder.projection.catch_up()
    found = holder.projection.alerts(since=since, limit=limit, kinds=kinds)
    return [AlertOut.of(a, settings.resolver) for a in found]


Since = Annotated[int, Query(ge=0, le=2**53 - 1)]
Kinds = Annotated[list[str] | None, Query(alias="kind", max_length=20)]
Limit = Annotated[int, Query(ge=1, le=MAX_ALERTS)]


@router.get("/alerts.json")
async def alerts_json(
    request: Request, since: Since = 0, kind: Kinds = None, limit: Limit = 100
) -> AlertFeed:
    """The newest alerts as JSON (``since``: only those about later entries)."""
    state = request.app.state
    alerts = await run_in_threadpool(
        read_alerts, state.recorder, state.settings, since, kind, limit
    )
    return AlertFeed(origin=state.ledger.origin, alerts=alerts)


def atom(origin: str, self_url: str, alerts: list[AlertOut]) -> str:
    """The alerts as an Atom feed (RFC 4287): one ``entry`` per alert, ids stable."""
    updated = alerts[0].time if alerts else "1970-01-01T00:00:00Z"
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<id>tag:{escape(origin)},2026:alerts</id>",
        f"<title>agritrace alerts: {escape(origin)}</title>",
        f"<updated>{escape(updated)}</updated>",
        f'<link rel="self" href="{escape(self_url, {chr(34): "&quot;"})}"/>',
        "<author><name>agritrace</name></author>",
    ]
    for a in alerts:
        parts += [
            "<entry>",
            f"<id>tag:{escape(origin)},2026:{escape(a.id)}</id>",
            f"<title>{escape(a.kind)}: {escape(a.lot or a.serial or '')}</title>",
            f"<updated>{escape(a.time)}</updated>",
            f'<category term="{escape(a.kind)}"/>',
            f"<summary>{escape(a.summary)}</summary>",
        ]
        if a.link is not None:
            parts.append(f'<link href="{escape(a.link, {chr(34): "&quot;"})}"/>')
        parts.append("</entry>")
    parts.append("</feed>")
    return "\n".join(parts)


@router.get("/alerts.atom", response_class=Response)
async def alerts_atom(
    request: Request, since: Since = 0, kind: Kinds = None, limit: Limit = 100
) -> Response:
    """The newest alerts as an Atom feed, for feed readers and platforms."""
    state = request.app.state
    alerts = await run_in_threadpool(
        read_alerts, state.recorder, state.settings, since, kind, limit
    )
    body = atom(state.ledger.origin, str(request.url), alerts)
    return Response(body, media_type="application/atom+xml; charset=utf-8")
