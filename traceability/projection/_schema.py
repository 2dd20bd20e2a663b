"""The projection tables (``trace_*``), in the ledger's own database.

Every row of :data:`metadata`'s tables is derived from ledger entries and carries the
``seq`` it came from; dropping every table and replaying the ledger rebuilds the same
content (see ``reindex``). :data:`retained` holds the one table that is not derived from
the log (the idempotency keys: what callers sent, not what the log says), so a reindex
leaves it alone and the drift check does not compare it.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "anomalies",
    "arrivals",
    "assessments",
    "company_prefixes",
    "complaint_contacts",
    "complaints",
    "cooperative",
    "decisions",
    "edges",
    "event_lots",
    "farms",
    "holds",
    "idempotency",
    "input_doses",
    "inputs",
    "intakes",
    "issued",
    "lab_keys",
    "lots",
    "map_lots",
    "map_nodes",
    "map_state",
    "measurements",
    "metadata",
    "packed",
    "plots",
    "products",
    "readings",
    "result_sources",
    "results",
    "retained",
    "rules",
    "samples",
    "sampling_plans",
    "shipment_lots",
    "shipments",
    "sites",
    "state",
    "status_maps",
    "trainings",
]

metadata = MetaData()

#: How many ledger entries the projection has applied (one row).
state = Table(
    "trace_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("applied_size", Integer, nullable=False),
)

#: The cooperative's master data (one row, ``id`` 1): the latest ``trace.cooperative`` entry.
cooperative = Table(
    "trace_cooperative",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name_zh", Text, nullable=False),
    Column("name_ug", Text),
    Column("name_en", Text),
    Column("address", Text, nullable=False),
    Column("county", Text, nullable=False),
    Column("gln", String(13)),
    Column("phone", Text),
    Column("seq", Integer, nullable=False),
)

#: The GS1 company prefixes the cooperative declared (``trace.cooperative``
#: ``company_prefixes``): a table of its own rather than a column of ``trace_cooperative``,
#: so a database projected before prefixes existed gains it without a migration.
company_prefixes = Table(
    "trace_company_prefixes",
    metadata,
    Column("prefix", String(12), primary_key=True),
    Column("seq", Integer, nullable=False),
)

products = Table(
    "trace_products",
    metadata,
    Column("gtin", String(14), primary_key=True),
    Column("commodity", String(32), nullable=False),
    Column("name", Text, nullable=False),
    Column("seq", Integer, nullable=False),
)

farms = Table(
    "trace_farms",
    metadata,
    Column("farm", String(40), primary_key=True),
    Column("grower", Text, nullable=False),
    Column("village", Text, nullable=False),
    Column("county", Text, nullable=False),
    Column("grower_actor", Text),
    Column("phone", Text),
    Column("seq", Integer, nullable=False),
)

#: Sites' location descriptions: the latest ``trace.site`` entry per site id.
sites = Table(
    "trace_sites",
    metadata,
    Column("site", String(40), primary_key=True),
    Column("business_name", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("phone", Text),
    Column("gln", String(13)),
    Column("seq", Integer, nullable=False),
)

plots = Table(
    "trace_plots",
    metadata,
    Column("plot", String(40), primary_key=True),
    Column("farm", String(40), nullable=False),
    Column("seq", Integer, nullable=False),
)

#: Rule tables: the latest profile per commodity and MRL table per edition wins.
rules = Table(
    "trace_rules",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("name", Text, nullable=False, index=True),
    Column("commodity", String(32)),
    Column("body", Text, nullable=False),
)

inputs = Table(
    "trace_inputs",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("plot", String(40), nullable=False, index=True),
    Column("category", String(16), nullable=False),
    Column("product_name", Text, nullable=False),
    Column("substance", Text, nullable=False),
    Column("time", String(40), nullable=False),
)

#: The dose of every input (issue 14: inputs checked against the profile's season minimums);
#: a table of its own so that ``trace_inputs`` keeps its columns.
input_doses = Table(
    "trace_input_doses",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("plot", String(40), nullable=False, index=True),
    Column("dose", String(24), nullable=False),
    Column("dose_unit", String(8), nullable=False),
)

#: Growers' trainings (``trace.training``), by farm.
trainings = Table(
    "trace_trainings",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("farm", String(40), nullable=False, index=True),
    Column("grower", Text, nullable=False),
    Column("course", Text, nullable=False),
    Column("hours", String(24), nullable=False),
    Column("trainer", Text, nullable=False),
    Column("time", String(40), nullable=False),
)

#: Growers' assessments (``trace.assessment``), by farm: the harvest qualification rule.
assessments = Table(
    "trace_assessments",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("farm", String(40), nullable=False, index=True),
    Column("grower", Text, nullable=False),
    Column("assessment", String(40), nullable=False),
    Column("topic", String(32), nullable=False),
    Column("outcome", String(8), nullable=False),
    Column("valid_until", String(10)),
    Column("assessor", Text, nullable=False),
    Column("time", String(40), nullable=False),
)

#: Quality indicators measured on a lot (a graded lot's ``quality`` readings), with the
#: unit and the threshold the profile entry gave when the lot was graded.
measurements = Table(
    "trace_measurements",
    metadata,
    Column("lot", String(64), primary_key=True),
    Column("indicator", String(32), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("value", String(24), nullable=False),
    Column("unit", Text, nullable=False),
    Column("needs", Text),
    Column("rule_seq", Integer, nullable=False),
)

lots = Table(
    "trace_lots",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("gtin", String(14), nullable=False),
    Column("lot", String(20), nullable=False),
    Column("commodity", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    # Indexed, as are created_seq and the holds' lifted_seq: each checkpoint's status map
    # looks up the lots touched since the previous map by these (projection/_status_map.py).
    Column("status_seq", Integer, nullable=False, index=True),
    Column("status_reason", Text),
    Column("failed", Boolean, nullable=False),
    Column("created_seq", Integer, nullable=False, index=True),
    Column("origin_kind", String(32), nullable=False),
    Column("plot", String(40)),
    Column("harvest_time", String(40)),
    Column("grade", String(32)),
    Column("quantity", String(24), nullable=False),
    Column("unit", String(8), nullable=False),
    # Time rules (docs/traceability.md): when the lot was made (harvest, grading or
    # processing time) and the time of its latest stage event (cooling .. receiving).
    Column("made_time", String(40)),
    Column("stage_time", String(40)),
    # The status a held lot returns to when its last open hold is lifted.
    Column("held_from", String(16)),
    # The lot code case-folded: look-alike codes ('h1' beside 'H1') are refused.
    Column("folded", String(64), nullable=False, unique=True),
)

#: Every hold placed on a lot: who placed it (``authority`` role, ``actor``) under which
#: rule, and who lifted it with what evidence. A lot is on hold while any row is open.
holds = Table(
    "trace_holds",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("lot", String(64), primary_key=True, index=True),
    Column("rule", String(40), nullable=False),
    Column("authority", String(16), nullable=False),
    Column("actor", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("lifted_seq", Integer, index=True),
    Column("lifted_by", Text),
    Column("evidence", Integer),
)

#: Lineage: ``parent`` became (part of) ``child`` at entry ``seq``.
edges = Table(
    "trace_edges",
    metadata,
    Column("parent", String(64), primary_key=True),
    Column("child", String(64), primary_key=True, index=True),
    Column("seq", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
)

results = Table(
    "trace_results",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("substance", Text, primary_key=True),
    Column("lot", String(64), nullable=False, index=True),
    Column("value", String(24), nullable=False),
    Column("loq", String(24), nullable=False),
    Column("limit", String(24)),
    Column("outcome", String(16), nullable=False),
    Column("rule_seq", Integer, nullable=False),
    Column("edition", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("sample_id", String(40), nullable=False),
    Column("lab", Text, nullable=False),
    Column("time", String(40)),  # the result's time: a release must come after it
)

#: Every cooling (``kind`` cooling, ``subject`` the lot key) and transport logger reading
#: (``kind`` transport, ``subject`` the shipment), so the cold chain is judged across all of
#: them; ``more`` is the event's ``more_readings`` (a later part follows). Keyed by the
#: reading's place in its entry (``n``), not a sequence: a batch rolled back must not
#: change what a reindex rebuilds.
readings = Table(
    "trace_readings",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("subject", String(64), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("n", Integer, primary_key=True),
    Column("time", String(40), nullable=False),
    Column("celsius", String(24), nullable=False),
    Column("more", Boolean, nullable=False),
)

packed = Table(
    "trace_packed",
    metadata,
    Column("unit_id", String(40), primary_key=True),
    Column("lot", String(64), primary_key=True, index=True),
    Column("seq", Integer, nullable=False),
)

shipments = Table(
    "trace_shipments",
    metadata,
    Column("shipment", String(40), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("origin", String(40), nullable=False),
    Column("destination", String(40), nullable=False),
    Column("set_point", String(24)),
    Column("status", String(16), nullable=False),
    Column("received_seq", Integer),
    Column("receiver", String(40)),
    Column("time", String(40)),  # when it left: a receiving must come after it
)

shipment_lots = Table(
    "trace_shipment_lots",
    metadata,
    Column("shipment", String(40), primary_key=True),
    Column("lot", String(64), primary_key=True, index=True),
)

#: What arrived of a shipment, as its receiving entry weighed (or counted) it: the
#: shipment's loss is its lots' quantity at shipping less this. Only shipments received
#: with a quantity have a row. A table of its own, not columns of ``trace_shipments``, so a
#: projection made before it gains it without a reindex (no entry before it had one).
arrivals = Table(
    "trace_arrivals",
    metadata,
    Column("shipment", String(40), primary_key=True),
    # Indexed: the monitoring sums read the arrivals of a range of entries.
    Column("seq", Integer, nullable=False, index=True),
    Column("quantity", String(24), nullable=False),
    Column("unit", String(8), nullable=False),
)

#: Lots taken in from another member's log (``trace.intake``): the lot as this log knows it
#: and the source log's shipping entry it names (origin, shipment, lot, seq, leaf hash). A
#: lot of a source entry is taken in once; whether the source really shipped it here is
#: checked where both logs are read (traceability/_alliance_links.py). A table of its own,
#: so a projection made before it gains it without a reindex.
intakes = Table(
    "trace_intakes",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("lot", String(64), nullable=False, unique=True),
    Column("site", String(40), nullable=False),
    Column("source_log", Text, nullable=False),
    Column("source_gtin", String(14), nullable=False),
    Column("source_lot", String(20), nullable=False),
    Column("source_shipment", String(40), nullable=False),
    Column("source_seq", Integer, nullable=False),
    Column("source_leaf", String(64), nullable=False),
    Column("time", String(40), nullable=False),  # taken in: not before the source shipped it
    UniqueConstraint("source_log", "source_seq", "source_gtin", "source_lot"),
)

#: Certificates (``kind`` certificate) and label runs (``kind`` labels) issued for a lot,
#: each through the sale gate; ``count`` is the labels printed (1 for a certificate).
issued = Table(
    "trace_issued",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("lot", String(64), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("count", Integer, nullable=False),
    Column("time", String(40), nullable=False),
)

#: Which entries concern which lot (for exports and the lot history).
event_lots = Table(
    "trace_event_lots",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("lot", String(64), primary_key=True, index=True),
)

#: Entries a replay could not apply (e.g. two writers raced past one check): kept, named,
#: never silently dropped.
anomalies = Table(
    "trace_anomalies",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("error", Text, nullable=False),
)

#: The lot-status map (traceability/_map_proof.py): each lot's value as of the map's size,
#: written (``seq``) by the map update at that size; brought up to date at each
#: ``trace.status_map`` entry for the lots touched since the one before.
map_lots = Table(
    "trace_map_lots",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("bucket", Integer, nullable=False, index=True),
    Column("value", Text, nullable=False),  # canonical JSON {"entries": [...], "status"}
    Column("hash", String(64), nullable=False),  # hex SHA-256 of ``value``
    Column("seq", Integer, nullable=False),
)

#: The map's bucket tree: ``node`` is ``level << 16 | index`` (level 0 holds the bucket
#: hashes, level 16 the root); a node that is absent is the hash of an all-empty subtree at
#: its level. One integer key, so a path's nodes are one ``IN`` lookup.
map_nodes = Table(
    "trace_map_nodes",
    metadata,
    Column("node", Integer, primary_key=True),
    Column("hash", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
)

#: The map tables' position (one row, ``id`` 1): the log size they describe, how many lots
#: the map holds and its root (hex).
map_state = Table(
    "trace_map_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("size", Integer, nullable=False),
    Column("lots", Integer, nullable=False),
    Column("root", String(64), nullable=False),
)

#: Labs' enrolled keys (``trace.lab``, signed by the key itself) and the regulator's approval
#: of each (``trace.lab_approval``): only a key with ``approved_seq`` signs as a lab
#: (docs/adr/0020-independent-labs-and-sampling-plans.md).
lab_keys = Table(
    "trace_lab_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("lab", String(40), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("accreditation", String(32), nullable=False),
    Column("actor", Text, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("time", String(40), nullable=False),
    Column("approved_seq", Integer),
    Column("approved_by", Text),
)

#: Sampling plans: the latest ``trace.sampling_plan`` entry per plan id. ``analyses`` is a
#: JSON list; ``start`` the plan's time, ``ends`` when it closes (or NULL).
sampling_plans = Table(
    "trace_sampling_plans",
    metadata,
    Column("plan", String(40), primary_key=True),
    Column("gtin", String(14), nullable=False, index=True),
    Column("farm", String(40)),
    Column("plot", String(40)),
    Column("every_days", Integer, nullable=False),
    Column("analyses", Text, nullable=False),
    Column("start", String(40), nullable=False),
    Column("ends", String(40)),
    Column("seq", Integer, nullable=False),
)

#: Samples taken (``trace.sample``): of which lot, by whom (``taken_by`` lab or regulator,
#: the signer ``actor``, the ``sampler`` person), when; ``plots`` and ``farms`` are the JSON
#: lists of where the lot was grown (through its ancestors), which plans it counts for.
samples = Table(
    "trace_samples",
    metadata,
    Column("sample_id", String(40), primary_key=True),
    Column("lot", String(64), nullable=False, index=True),
    Column("gtin", String(14), nullable=False, index=True),
    Column("taken_by", String(16), nullable=False),
    Column("lab", String(40)),
    Column("sampler", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("analyses", Text, nullable=False),
    Column("plots", Text, nullable=False),
    Column("farms", Text, nullable=False),
    Column("time", String(40), nullable=False),
    Column("seq", Integer, nullable=False),
)

#: Who stands behind each residue result entry: the approved lab (from the signing key, not
#: the free-text ``lab`` field), the sample, and who took it (``lab`` when the entry names
#: no recorded sample: the lab's own sampling, as its signed result says).
result_sources = Table(
    "trace_result_sources",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("lab", String(40), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("sample_id", String(40), nullable=False),
    Column("taken_by", String(16), nullable=False),
    Column("sampler", Text),
    Column("sample_seq", Integer),
)

#: Every ``trace.status_map`` entry applied: its position, the size it covers, its root.
status_maps = Table(
    "trace_status_maps",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("size", Integer, nullable=False),
    Column("root", String(44), nullable=False),
    Column("lots", Integer, nullable=False),
)

#: Complaints about lots (``trace.complaint``): what was reported, in which language, by
#: which intake key, and the hash committing to a contact (the contact itself is not on the
#: log: :data:`complaint_contacts`).
complaints = Table(
    "trace_complaints",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("lot", String(64), nullable=False, index=True),
    Column("serial", String(20)),
    Column("category", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("language", String(2), nullable=False),
    Column("contact_sha256", String(64)),
    Column("actor", Text, nullable=False),
    Column("time", String(40), nullable=False),
)

#: The regulator's decisions (``trace.decision``), one per complaint: who, which rule, what
#: action and why; ``action_seq`` is the hold or recall entry that carried it out.
decisions = Table(
    "trace_decisions",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("complaint", Integer, nullable=False, unique=True),
    Column("lot", String(64), nullable=False, index=True),
    Column("action", String(16), nullable=False),
    Column("rule", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("action_seq", Integer),
    Column("time", String(40), nullable=False),
)

#: Tables written in the append transaction but not derived from the log: never dropped by
#: a reindex, never compared by the drift check.
retained = MetaData()

#: Idempotency keys (docs/security.md, "Exactly-once appends"): a caller's key, a
#: fingerprint of the request it came with, and the receipts of what that request appended,
#: inserted in the transaction of the append itself. ``status`` and ``response`` are the
#: answer the caller got, stored just after the commit (absent if the server died in
#: between: a replay then rebuilds the answer from ``receipts``). ``created`` is Unix
#: seconds; rows older than the retention are deleted by later appends.
idempotency = Table(
    "trace_idempotency",
    retained,
    Column("scope", String(128), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("created", Integer, nullable=False, index=True),
    Column("receipts", Text),
    Column("status", Integer),
    Column("response", Text),
)

#: Contacts left with complaints (personal data, never signed): the complaint's
#: ``contact_sha256`` names the row; ``salt`` (hex) and ``contact`` reproduce it. Written just
#: before the complaint is recorded (a refused complaint's row is deleted); deleting a row
#: erases the contact and leaves the log intact. ``created`` is Unix seconds.
complaint_contacts = Table(
    "trace_complaint_contacts",
    retained,
    Column("digest", String(64), primary_key=True),
    Column("salt", String(32), nullable=False),
    Column("contact", Text, nullable=False),
    Column("created", Integer, nullable=False),
)
