"""The domain's events and master data as typed models, and its identifiers."""
