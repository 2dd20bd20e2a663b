"""The domain's events and master data as typed models, and its identifiers."""

# _events registers the sampling kinds of _sampling, which imports _events' LotRef: import
# _events first, so that importing either module finds the other complete.
from traceability.events import _events as _events
