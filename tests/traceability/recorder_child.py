"""A child process that records harvests through a Recorder and prints what it got.

Used by the concurrency and crash tests: ``python -m tests.traceability.recorder_child URL
KEY_HEX NAME COUNT`` records COUNT batches (forever if COUNT is 0). Batch ``j`` harvests
the contested lot ``C<j>`` (every child tries it) and the child's own lot ``<NAME>-<j>``,
and prints ``won j seq`` or ``lost j RULE`` after each batch returns.
"""

from __future__ import annotations

import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import Ledger
from traceability import BatchError, Harvest, LifecycleError, Recorder

GTIN = "06912345678902"


def harvest(lot: str) -> Harvest:
    body = {"lot": {"gtin": GTIN, "lot": lot}, "plot": "YK-P1", "variety": "Hongyan"}
    return Harvest.from_body(body | {"quantity": "5", "time": "2026-06-01T08:00:00+08:00"})


def main(url: str, key_hex: str, name: str, count: int) -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(key_hex))
    with Ledger.open(url) as ledger:
        recorder = Recorder(ledger)
        j = 0
        while count == 0 or j < count:
            batch = [(harvest(f"C{j}"), key), (harvest(f"{name}-{j}"), key)]
            try:
                receipts = recorder.record_batch(batch)
            except BatchError as e:
                rule = e.error.rule if isinstance(e.error, LifecycleError) else "?"
                sys.stdout.write(f"lost {j} {rule}\n")
            else:
                sys.stdout.write(f"won {j} {receipts[0].seq}\n")
            sys.stdout.flush()
            j += 1


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
