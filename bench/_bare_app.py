"""The machine's limit for ``bench/scan.py``: a bare FastAPI endpoint with a fixed page.

Same framework, server and worker count as the app, no database, no templates: what the
verification page's rate is judged against.
"""

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

app = FastAPI()

# About the size of a lot's verification page, so bytes on the wire are comparable.
_PAGE = "<!doctype html><title>bare</title>" + "<p>" + "x" * 9000 + "</p>"


@app.get("/bare", response_class=HTMLResponse)
def bare() -> str:
    """Return the fixed page."""
    return _PAGE


@app.get("/bare-async", response_class=HTMLResponse)
async def bare_async() -> str:
    """Return the fixed page from the event loop (the resolver's routes are async too)."""
    return _PAGE
