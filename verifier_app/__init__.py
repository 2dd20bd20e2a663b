"""The FastAPI application: consumer resolver pages, staff pages and API, regulator API."""

__all__: list[str] = []
