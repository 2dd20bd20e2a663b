"""The packing shed's audience: staff pages, the event API and the append API."""
