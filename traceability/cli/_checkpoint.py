"""``agritrace checkpoint``: sign a checkpoint that ends with the lot-status map.

``agritrace ledger checkpoint`` is the ledger's own command: it knows nothing of lots, so a
checkpoint it signs has no map until the next sealed one (phones then say the page was not
checked for left-out entries). This command opens the ledger as ``serve`` does, with the
seal (:func:`traceability.seal_with_status_map`), so the checkpoint it signs ends with a
``trace.status_map`` entry of every entry before it.
"""

from __future__ import annotations

import sys

from ledger import KeyFolder, Ledger, database_url
from traceability._errors import TraceError
from traceability._seal import seal_with_status_map
from traceability.cli._common import DEFAULT_KEYS, STATUS_MAP_KEY, Db, Keys, err, errors

__all__ = ["checkpoint"]


def checkpoint(db: Db = None, keys: Keys = DEFAULT_KEYS) -> None:
    """Sign a checkpoint ending with the lot-status map and print it (a signed note).

    Needs the log key and the status-map key (a registered cooperative key) in the key
    folder. Exits 2 naming the missing key.
    """
    with errors():
        folder = KeyFolder(keys)
        needed = (
            ("log", "the log's checkpoint key"),
            (STATUS_MAP_KEY, "the registered key that signs the trace.status_map entry"),
        )
        for name, what in needed:
            if not folder.exists(name):
                pem = folder.path / f"{name}.pem"
                raise TraceError(
                    f"--keys: expected {what} in {pem}, found none; a sealed "
                    "checkpoint needs both (agritrace ledger checkpoint signs one without map)"
                )
        with Ledger.open(database_url(db), log_signer=folder.log_signer()) as ledger:
            seal_with_status_map(ledger, folder.load(STATUS_MAP_KEY))
            size_before = ledger.size()
            note = ledger.checkpoint()
            size = ledger.size()
        sys.stdout.write(note)
        sealed = "appended the lot-status map" if size > size_before else "the map was current"
        err.print(f"checkpoint of {size} entries ({sealed})", highlight=False)
