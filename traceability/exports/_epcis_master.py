"""Sampling master data for the EPCIS header: labs as parties, sampling plans (issue 14).

Labs are ``Party`` vocabulary elements under the log's origin (``/party/<lab id>``) with the
CBV name, the accreditation (CMA) number and the entries that enrolled and approved them;
sampling plans are elements of the cooperative's own ``<origin>/voc/SamplingPlan``
vocabulary (``/plan/<plan id>``). Attribute values are strings or numbers, as the EPCIS
2.0.1 schema allows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from traceability.projection._export_reads import ExportSnapshot

__all__ = ["lab_parties", "plan_elements"]

_MDA = "urn:epcglobal:cbv:mda#"


def lab_parties(reads: ExportSnapshot, uri: Callable[[str, str], str]) -> list[dict[str, Any]]:
    """Every enrolled lab as a Party element; ``uri(kind, local)`` names things."""
    out = []
    for lab in reads.labs():
        values = [
            (f"{_MDA}name", lab.name),
            (uri("voc", "accreditation"), lab.accreditation),
            (uri("voc", "ledgerEntry"), uri("entry", str(lab.seq))),
        ]
        if lab.approved_seq is not None:
            values.append((uri("voc", "approvedBy"), uri("entry", str(lab.approved_seq))))
        attributes = [{"id": k, "attribute": v} for k, v in values]
        out.append({"id": uri("party", lab.lab), "attributes": attributes})
    return out


def plan_elements(reads: ExportSnapshot, uri: Callable[[str, str], str]) -> list[dict[str, Any]]:
    """Every sampling plan as an element of ``<origin>/voc/SamplingPlan``."""
    out = []
    for p in reads.sampling_plans():
        values: list[tuple[str, Any]] = [
            (uri("voc", "gtin"), p.gtin),
            (uri("voc", "farm"), p.farm),
            (uri("voc", "plot"), p.plot),
            (uri("voc", "everyDays"), p.every_days),
            (uri("voc", "analyses"), " ".join(json.loads(p.analyses))),
            (uri("voc", "start"), p.start),
            (uri("voc", "ends"), p.ends),
            (uri("voc", "ledgerEntry"), uri("entry", str(p.seq))),
        ]
        attributes = [{"id": k, "attribute": v} for k, v in values if v is not None]
        out.append({"id": uri("plan", p.plan), "attributes": attributes})
    return out
