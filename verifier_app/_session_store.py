"""Server-side sessions: a random id in the cookie, a small file per session on the server.

The cookie holds a 256-bit random session id, never the token: a stolen cookie dies with
its session (idle after :data:`IDLE`, at the latest :data:`ABSOLUTE` after sign-in, or at
sign-out), and the token is never sent again after sign-in.

Why files, not a table: only ``ledger/_store.py`` and ``traceability/projection/`` may hold
SQL, sessions are not facts of the log (they must never be on it), and the app already
keeps a local folder (the keys) that every worker process on the machine shares. A
session is one file in a folder created ``0700``; the file is named by the SHA-256 of the
id (a listing of the folder, or a backup, reveals no live id) and holds the hash of the
token it was opened with, so removing a token from the token file ends its sessions too.
Files are written whole and renamed into place, so a reader in another worker never sees
half of one. Several machines behind one balancer share the folder (NFS) or pin clients.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["ABSOLUTE", "IDLE", "Session", "SessionStore"]

#: A session unused this long ends: the shed's machine is shared.
IDLE: Final = 2 * 3600.0
#: No session outlives a working day and a bit, however busy.
ABSOLUTE: Final = 12 * 3600.0
# Writing the last-seen time on every page view would cost a file write per request; a
# minute's precision on a two-hour idle limit is plenty.
_TOUCH_EVERY = 60.0
# A session from the future is forged or the clock jumped back; a few minutes is NTP.
_CLOCK_SLACK = 300.0


@dataclass(frozen=True)
class Session:
    """An open session.

    Attributes:
        id: The random id the cookie holds (URL-safe base64 of 32 bytes).
        token_hash: SHA-256 hex of the token signed in with (as the token file holds it).
        created: When it was opened (seconds since the epoch).
        seen: When it was last used.
    """

    id: str
    token_hash: str
    created: float
    seen: float


class SessionStore:
    """Sessions as files in ``folder`` (created ``0700``), shared by every worker process.

    Args:
        folder: Where the session files live.
        clock: Wall clock (seconds since the epoch); a parameter so tests can move time.
    """

    def __init__(self, folder: Path, clock: Callable[[], float] = time.time) -> None:
        self.folder = folder
        self.clock = clock
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkdir's mode is masked by the umask and ignored for an existing folder.
        os.chmod(folder, 0o700)

    def _path(self, session_id: str) -> Path:
        return self.folder / hashlib.sha256(session_id.encode("utf-8")).hexdigest()

    def _write(self, session: Session) -> None:
        data = {"token": session.token_hash, "created": session.created, "seen": session.seen}
        path = self._path(session.id)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out)
        os.replace(temporary, path)

    def open(self, token_hash: str) -> Session:
        """Open a new session for the token with this hash; return it (its id is new)."""
        self.sweep()
        now = self.clock()
        session = Session(secrets.token_urlsafe(32), token_hash, now, now)
        self._write(session)
        return session

    def get(self, session_id: str) -> Session | None:
        """Return the live session with this id (marking it used), or None.

        An expired session's file is removed here, so an old cookie cannot come back.
        """
        if not session_id or len(session_id) > 64:
            return None
        path = self._path(session_id)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            session = Session(session_id, str(data["token"]), data["created"], data["seen"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if self._ended(session.created, session.seen):
            self.close(session_id)
            return None
        now = self.clock()
        if now - session.seen > _TOUCH_EVERY:
            session = Session(session.id, session.token_hash, session.created, now)
            self._write(session)
        return session

    def close(self, session_id: str) -> None:
        """End a session (sign-out); an unknown id is ignored."""
        with contextlib.suppress(FileNotFoundError):
            self._path(session_id).unlink()

    def sweep(self) -> int:
        """Remove the files of sessions that ended by time; return how many."""
        removed = 0
        for path in self.folder.iterdir():
            if path.name.startswith("."):
                continue  # another worker's file being written
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                ended = self._ended(float(data["created"]), float(data["seen"]))
            except (OSError, ValueError, KeyError, TypeError):
                ended = True  # not a session file this store wrote whole
            if ended:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed += 1
        return removed

    def _ended(self, created: float, seen: float) -> bool:
        now = self.clock()
        return now - seen > IDLE or now - created > ABSOLUTE or now < created - _CLOCK_SLACK
