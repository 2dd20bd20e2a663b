"""The domain as the staff and regulator routes use it: one recorder, and the caller's key.

Staff on the packing shed's machine do not carry keys: the cooperative keeps each staff
actor's key in the server's key folder, and the token file names it (``key = "..."``). The
server signs what a signed-in person records with that key, so the ledger says which actor
recorded it, and the domain checks that actor's registered roles as for any other signer.
A lab keeps its own key and sends signed statements instead (``POST /api/v1/statements``).
"""

from __future__ import annotations

import logging
import threading
from typing import Annotated

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends, Request

from ledger import KeyFolder, KeyStateError, Ledger
from traceability import Projection, Recorder
from verifier_app._auth import Caller
from verifier_app._errors import ForbiddenError, SigningKeyUnavailableError
from verifier_app._idempotency import InFlight

__all__ = ["AppRecorder", "RecorderDep", "get_app_recorder"]

_log = logging.getLogger("verifier_app")


class AppRecorder:
    """The app's one :class:`~traceability.Recorder`, made on first use, and its key folder.

    Made lazily because the trace tables may not exist when the app starts on a bare
    ledger; one per process, because the recorder serialises its process's writers.
    """

    def __init__(self, ledger: Ledger, keys: KeyFolder, *, read_only: bool = False) -> None:
        self.ledger = ledger
        self.keys = keys
        #: Serving a database it cannot write (``AGRITRACE_READ_ONLY``): no recorder.
        self.read_only = read_only
        self._recorder: Recorder | None = None
        self._projection: Projection | None = None
        self._loaded: dict[str, Ed25519PrivateKey] = {}
        self._lock = threading.Lock()
        #: Idempotency keys whose request is running in this process (409 to a second one).
        self.in_flight = InFlight()

    @property
    def recorder(self) -> Recorder:
        """The recorder (its projection caught up when it was made)."""
        if self.read_only:
            raise RuntimeError("a read-only server records nothing (AGRITRACE_READ_ONLY)")
        with self._lock:
            if self._recorder is None:
                self._recorder = Recorder(self.ledger)
            return self._recorder

    @property
    def projection(self) -> Projection:
        """The domain's read API over this ledger (its tables created on first use)."""
        with self._lock:
            if self._projection is None:
                self._projection = Projection(self.ledger, read_only=self.read_only)
            return self._projection

    def key_for(self, caller: Caller) -> Ed25519PrivateKey:
        """Return the private key the server signs ``caller``'s events with.

        Raises:
            ForbiddenError: the token file names no key for this caller.
            SigningKeyUnavailableError: the key is missing or unreadable (:meth:`load_key`).
        """
        if caller.key is None:
            raise ForbiddenError(
                f"{caller.actor} signs its own statements: this server holds no key for it "
                "(the token file names none); send signed statements to /api/v1/statements"
            )
        return self.load_key(caller.key)

    def load_key(self, name: str) -> Ed25519PrivateKey:
        """Return the key folder's key ``name``, read from disk once per process.

        Raises:
            SigningKeyUnavailableError: the key folder has no such key, or it is unreadable
                (a setup mistake). The client is told only that; the key folder's path and
                the names of its keys go to the server's log.
        """
        with self._lock:
            key = self._loaded.get(name)
            if key is None:
                try:
                    key = self._loaded[name] = self.keys.load(name)
                except KeyStateError as e:
                    _log.error("cannot load signing key %r: %s", name, e)
                    raise SigningKeyUnavailableError(
                        "this server cannot sign: a signing key is not set up; "
                        "ask the cooperative's administrator"
                    ) from None
            return key


def get_app_recorder(request: Request) -> AppRecorder:
    """Return the app's recorder holder (built by ``create_app``)."""
    holder: AppRecorder = request.app.state.recorder
    return holder


RecorderDep = Annotated[AppRecorder, Depends(get_app_recorder)]
