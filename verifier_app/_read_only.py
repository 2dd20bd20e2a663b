"""Serving a database the server cannot write (``AGRITRACE_READ_ONLY``).

See docs/deployment.md, "Read-only replicas".

A PostgreSQL streaming replica holds the primary's ledger and its projection, which the
primary writes in the transaction of each append (ADR 6), so a server on the replica can
answer every scan exactly as the primary's would. It must write nothing: the replica refuses
any write, DDL included. :func:`create_app` therefore, in read-only mode, opens the ledger
without its log key (no checkpoint signed, no witness asked), reads the projection without
creating tables or catching it up, mounts only the public reads (as on a mirror, plus the
published reports), starts no drift check, warm-up or alert webhook, and counts no scans;
and :class:`ReadOnlyDatabase` answers every other method than GET, HEAD and OPTIONS with 405
before a route sees it.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp

from verifier_app._errors import error_body
from verifier_app._mirroring import ReadOnly

__all__ = ["ReadOnlyDatabase"]


class ReadOnlyDatabase(ReadOnly):
    """Refuse every request but GET, HEAD and OPTIONS with 405: this server cannot write.

    Args:
        app: The app within.
    """

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app, origin="")
        body = error_body(
            "read_only_server",
            "this server reads a copy of the cooperative's database and records nothing; "
            "send writes to the cooperative's own server",
        )
        self.body = json.dumps(body).encode()
