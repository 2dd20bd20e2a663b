"""Labels scanned unusually often: a regulator's lead on copied labels.

Each scan of an issued serial is counted (``traceability.count_scan``, no personal data);
a serial scanned more than ``traceability.SUSPICIOUS_SCANS`` times is listed here.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from traceability import SUSPICIOUS_SCANS, suspicious_serials
from verifier_app._signing import RecorderDep
from verifier_app.regulator._trace import Investigator

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["regulator"])


class SuspiciousLabelOut(BaseModel):
    """One serial's label and how often, since when, it has been scanned."""

    gtin: str
    serial: str
    scans: int
    since: str


class SuspiciousLabelsOut(BaseModel):
    """Every serial scanned more than ``threshold`` times, most scanned first."""

    threshold: int
    labels: list[SuspiciousLabelOut]


@router.get("/labels/suspicious")
async def list_suspicious_labels(holder: RecorderDep, _: Investigator) -> SuspiciousLabelsOut:
    """List serials scanned unusually often (a copied label is scanned far more than one unit)."""
    found = await run_in_threadpool(suspicious_serials, holder.ledger.engine)
    return SuspiciousLabelsOut(
        threshold=SUSPICIOUS_SCANS,
        labels=[
            SuspiciousLabelOut(
                gtin=gtin, serial=serial, scans=count.count, since=count.since.isoformat()
            )
            for gtin, serial, count in found
        ],
    )
