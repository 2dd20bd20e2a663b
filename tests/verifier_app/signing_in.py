"""Signing a test client in the way a browser does: the sign-in page, then its form."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from verifier_app._session import COOKIE, csrf_value

__all__ = ["sign_in", "sign_in_form_value"]


def sign_in_form_value(client: TestClient) -> str:
    """Open the sign-in page (which sets the pre-session cookie); return its hidden csrf."""
    page = client.get("/sign-in", headers={"Accept": "text/html"})
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match is not None, "the sign-in form carries a csrf value"
    return match.group(1)


def sign_in(client: TestClient, token: str) -> str:
    """Sign ``client`` in with ``token``; return the csrf value of the pages' forms."""
    response = client.post(
        "/sign-in",
        data={"token": token, "csrf": sign_in_form_value(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_value(client.cookies[COOKIE])
