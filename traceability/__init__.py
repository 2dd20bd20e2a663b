"""The agritrace domain: batches, critical tracking events, rules, lifecycle and lineage.

Named ``traceability`` rather than the design card's ``trace`` because Python's standard
library owns the module name ``trace`` (see docs/adr/0002-traceability-not-trace.md).

Events are typed models; a :class:`Recorder` checks each against the lifecycle table and the
rule entries on the ledger, signs it, appends it, and keeps the ``trace_*`` projection
tables in step. Refused events append nothing.
"""

from traceability._errors import BatchError, LifecycleError, RoleError, TraceError, ValidationError
from traceability._recorder import LotState, Recorder, reindex
from traceability.events._events import (
    CertificateIssued,
    Cooling,
    Cooperative,
    Farm,
    GradedLot,
    Grading,
    Harvest,
    Hold,
    InputApplication,
    LabelRun,
    LotRef,
    Packing,
    Processing,
    Product,
    Reading,
    Recall,
    Receiving,
    Release,
    ResidueTest,
    Shipping,
    SubstanceResult,
    UnitRef,
)
from traceability.exports._epcis_import import (
    EpcisImport,
    EpcisImportError,
    ImportProblem,
    import_epcis,
)
from traceability.projection._lineage import BackTrace, ForwardTrace, Origin, Shipment
from traceability.projection._lineage_graph import (
    LineageEdge,
    LineageGraph,
    LineageNode,
    lineage_graph,
)
from traceability.projection._lookup import (
    CooperativeInfo,
    LotSummary,
    ResidueLine,
    cooperative_info,
    has_trace_tables,
    lot_summary,
)
from traceability.projection._status import (
    STATUS_FILTERS,
    LotLine,
    LotPage,
    RuleFinding,
    lots_by_status,
)
from traceability.rules._actors import PERMITTED, Role
from traceability.rules._lifecycle import TABLE, Action, LotStatus, Transition
from traceability.rules._tables import (
    GradeBand,
    MrlRow,
    MrlTable,
    Profile,
    Verdict,
    load_mrl_csv,
    load_profile,
)

__all__ = [
    "PERMITTED",
    "STATUS_FILTERS",
    "TABLE",
    "Action",
    "BackTrace",
    "BatchError",
    "CertificateIssued",
    "Cooling",
    "Cooperative",
    "CooperativeInfo",
    "EpcisImport",
    "EpcisImportError",
    "Farm",
    "ForwardTrace",
    "GradeBand",
    "GradedLot",
    "Grading",
    "Harvest",
    "Hold",
    "ImportProblem",
    "InputApplication",
    "LabelRun",
    "LifecycleError",
    "LineageEdge",
    "LineageGraph",
    "LineageNode",
    "LotLine",
    "LotPage",
    "LotRef",
    "LotState",
    "LotStatus",
    "LotSummary",
    "MrlRow",
    "MrlTable",
    "Origin",
    "Packing",
    "Processing",
    "Product",
    "Profile",
    "Reading",
    "Recall",
    "Receiving",
    "Recorder",
    "Release",
    "ResidueLine",
    "ResidueTest",
    "Role",
    "RoleError",
    "RuleFinding",
    "Shipment",
    "Shipping",
    "SubstanceResult",
    "TraceError",
    "Transition",
    "UnitRef",
    "ValidationError",
    "Verdict",
    "cooperative_info",
    "has_trace_tables",
    "import_epcis",
    "lineage_graph",
    "load_mrl_csv",
    "load_profile",
    "lot_summary",
    "lots_by_status",
    "reindex",
]
