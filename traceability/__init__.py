"""The agritrace domain: batches, critical tracking events, rules, lifecycle and lineage.

Named ``traceability`` rather than the design card's ``trace`` because Python's standard
library owns the module name ``trace`` (see docs/adr/0002-traceability-not-trace.md).

Events are typed models; a :class:`Recorder` checks each against the lifecycle table and the
rule entries on the ledger, signs it, appends it, and keeps the ``trace_*`` projection
tables in step. Refused events append nothing. Every question about lots, lineage and
master data goes to a :class:`Projection`, which answers with frozen views.
"""

from traceability._alliance import (
    LOT_FILTERS,
    Alliance,
    AllianceMember,
    MemberAudit,
    MemberCounts,
    MemberLot,
)
from traceability._alliance_links import LINK_PROBLEMS, LinkCheck, LinkChecker
from traceability._alliance_sums import AllianceMonitoring
from traceability._alliance_trace import CrossTrace, TraceLot, trace_across
from traceability._errors import (
    BatchError,
    LifecycleError,
    RoleError,
    TraceError,
    UnknownError,
    ValidationError,
)
from traceability._facts import (
    ANALYSIS_GROUPS,
    FACT_NAMES,
    Fact,
    Mismatch,
    compare_facts,
    derive_analyses,
    derive_facts,
)
from traceability._label_keys import LABEL_ROLE, LabelKey, label_keys, register_label_key
from traceability._labs import enrol_lab
from traceability._map_claim import MapVerdict, check_map_claim
from traceability._mirror_follow import DomainMirror
from traceability._once import KEY_RETENTION, IdempotencyKey, IdempotencyKeyUsedError, StoredKey
from traceability._recorder import Recorder, reindex
from traceability._regulator_anchor import (
    RegulatorKeyError,
    check_regulator_keys,
    foreign_regulator_keys,
)
from traceability._seal import is_sealing_entry, seal_with_status_map
from traceability._witness_check import (
    StatusMapError,
    StatusMapWitnessCheck,
    check_before_cosigning,
)
from traceability.events._complaints import (
    ACTIONS,
    CATEGORIES,
    MAX_COMPLAINT,
    Complaint,
    Decision,
)
from traceability.events._events import (
    EVENT_TYPES,
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
    Site,
    StatusMap,
    SubstanceResult,
    UnitRef,
)
from traceability.events._intake import Intake
from traceability.events._model import Model
from traceability.events._prefixes import matching_prefix
from traceability.events._quality import Assessment, QualityReading, Training
from traceability.events._sampling import LabApproval, LabEnrolment, Sample, SamplingPlan
from traceability.exports._csv_safe import CsvEncodingError, decode_csv
from traceability.exports._epcis_import import (
    EpcisImport,
    EpcisImportError,
    ImportProblem,
    import_epcis,
)
from traceability.exports._export import export_epcis, export_fsma204
from traceability.exports._selection import ExportSelection, SelectionFields, parse_selection
from traceability.projection._alerts import ALERT_SOURCES, Alert, alert_kind
from traceability.projection._certificates import CertificateCheck
from traceability.projection._check import (
    Drift,
    DriftReport,
    MapFault,
    ProjectionCheck,
    check_projection,
    projection_exists,
)
from traceability.projection._complaints import ComplaintCounts, ComplaintView, DecisionView
from traceability.projection._contacts import MAX_CONTACT, forget_contact, keep_contact
from traceability.projection._dashboard import (
    HoldCount,
    Monitoring,
    RouteFigures,
    ShipmentLoss,
    WeekFigures,
)
from traceability.projection._evidence import lot_evidence
from traceability.projection._lineage import BackTrace, FarmOrigin, ForwardTrace, Shipment
from traceability.projection._lineage_graph import LineageEdge, LineageGraph, LineageNode
from traceability.projection._lists import LotState, PlotInfo, ProductInfo
from traceability.projection._lookup import CooperativeInfo, LotSummary, ResidueLine
from traceability.projection._member_reads import IntakeView, StatusCounts
from traceability.projection._quality_reads import (
    AnalysisGroup,
    LotQuality,
    QualificationLine,
    QualityLine,
)
from traceability.projection._quarterly import (
    LOSS_TARGET,
    Quarter,
    QuarterlyEvaluation,
    parse_quarter,
)
from traceability.projection._read import Projection
from traceability.projection._sampling_reads import LabInfo, OverdueSample, PlanInfo, SampleLine
from traceability.projection._scans import (
    SUSPICIOUS_SCANS,
    ScanCount,
    count_scan,
    issued_serials,
    suspicious_serials,
)
from traceability.projection._status import (
    STATUS_FILTERS,
    FlaggedLot,
    LotPage,
    RuleFinding,
)
from traceability.projection._status_map import status_map_proof
from traceability.rules._actors import PERMITTED, Role
from traceability.rules._lifecycle import TABLE, Action, LotStatus, Transition
from traceability.rules._quality import ANALYSIS_KINDS, InputFinding
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
    "ACTIONS",
    "ALERT_SOURCES",
    "ANALYSIS_GROUPS",
    "ANALYSIS_KINDS",
    "CATEGORIES",
    "EVENT_TYPES",
    "FACT_NAMES",
    "KEY_RETENTION",
    "LABEL_ROLE",
    "LINK_PROBLEMS",
    "LOSS_TARGET",
    "LOT_FILTERS",
    "MAX_COMPLAINT",
    "MAX_CONTACT",
    "PERMITTED",
    "STATUS_FILTERS",
    "SUSPICIOUS_SCANS",
    "TABLE",
    "Action",
    "Alert",
    "Alliance",
    "AllianceMember",
    "AllianceMonitoring",
    "AnalysisGroup",
    "Assessment",
    "BackTrace",
    "BatchError",
    "CertificateCheck",
    "CertificateIssued",
    "Complaint",
    "ComplaintCounts",
    "ComplaintView",
    "Cooling",
    "Cooperative",
    "CooperativeInfo",
    "CrossTrace",
    "CsvEncodingError",
    "Decision",
    "DecisionView",
    "DomainMirror",
    "Drift",
    "DriftReport",
    "EpcisImport",
    "EpcisImportError",
    "ExportSelection",
    "Fact",
    "Farm",
    "FarmOrigin",
    "FlaggedLot",
    "ForwardTrace",
    "GradeBand",
    "GradedLot",
    "Grading",
    "Harvest",
    "Hold",
    "HoldCount",
    "IdempotencyKey",
    "IdempotencyKeyUsedError",
    "ImportProblem",
    "InputApplication",
    "InputFinding",
    "Intake",
    "IntakeView",
    "LabApproval",
    "LabEnrolment",
    "LabInfo",
    "LabelKey",
    "LabelRun",
    "LifecycleError",
    "LineageEdge",
    "LineageGraph",
    "LineageNode",
    "LinkCheck",
    "LinkChecker",
    "LotPage",
    "LotQuality",
    "LotRef",
    "LotState",
    "LotStatus",
    "LotSummary",
    "MapFault",
    "MapVerdict",
    "MemberAudit",
    "MemberCounts",
    "MemberLot",
    "Mismatch",
    "Model",
    "Monitoring",
    "MrlRow",
    "MrlTable",
    "OverdueSample",
    "Packing",
    "PlanInfo",
    "PlotInfo",
    "Processing",
    "Product",
    "ProductInfo",
    "Profile",
    "Projection",
    "ProjectionCheck",
    "QualificationLine",
    "QualityLine",
    "QualityReading",
    "Quarter",
    "QuarterlyEvaluation",
    "Reading",
    "Recall",
    "Receiving",
    "Recorder",
    "RegulatorKeyError",
    "Release",
    "ResidueLine",
    "ResidueTest",
    "Role",
    "RoleError",
    "RouteFigures",
    "RuleFinding",
    "Sample",
    "SampleLine",
    "SamplingPlan",
    "ScanCount",
    "SelectionFields",
    "Shipment",
    "ShipmentLoss",
    "Shipping",
    "Site",
    "StatusCounts",
    "StatusMap",
    "StatusMapError",
    "StatusMapWitnessCheck",
    "StoredKey",
    "SubstanceResult",
    "TraceError",
    "TraceLot",
    "Training",
    "Transition",
    "UnitRef",
    "UnknownError",
    "ValidationError",
    "Verdict",
    "WeekFigures",
    "alert_kind",
    "check_before_cosigning",
    "check_map_claim",
    "check_projection",
    "check_regulator_keys",
    "compare_facts",
    "count_scan",
    "decode_csv",
    "derive_analyses",
    "derive_facts",
    "enrol_lab",
    "export_epcis",
    "export_fsma204",
    "foreign_regulator_keys",
    "forget_contact",
    "import_epcis",
    "is_sealing_entry",
    "issued_serials",
    "keep_contact",
    "label_keys",
    "load_mrl_csv",
    "load_profile",
    "lot_evidence",
    "matching_prefix",
    "parse_quarter",
    "parse_selection",
    "projection_exists",
    "register_label_key",
    "reindex",
    "seal_with_status_map",
    "status_map_proof",
    "suspicious_serials",
    "trace_across",
]
