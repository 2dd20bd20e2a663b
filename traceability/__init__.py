"""The agritrace domain: batches, critical tracking events, rules, lifecycle and lineage.

Named ``traceability`` rather than the design card's ``trace`` because Python's standard
library owns the module name ``trace`` (see docs/adr/0002-traceability-not-trace.md).
"""

__all__: list[str] = []
