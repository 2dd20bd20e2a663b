"""A child process that appends to a log and prints each acknowledged receipt.

Used by the concurrency and crash tests: ``python -m tests.ledger.appender URL KEY_HEX NAME
COUNT`` appends COUNT statements (forever if COUNT is 0), one transaction each, and prints
``seq statement-hash`` after each append returns, so the parent knows what was acknowledged.
"""

from __future__ import annotations

import hashlib
import sys
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import Ledger, Statement, format_time, key_id_for, sign_statement


def main(url: str, key_hex: str, name: str, count: int) -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(key_hex))
    key_id = key_id_for(key.public_key().public_bytes_raw())
    with Ledger.open(url, checkpoint_interval=timedelta(seconds=1)) as ledger:
        i = 0
        while count == 0 or i < count:
            time = format_time(datetime.now(UTC))
            statement = Statement(ledger.origin, "test.note", {"by": name, "i": i}, key_id, time)
            receipt = ledger.append(sign_statement(statement, key))
            digest = hashlib.sha256(statement.signing_bytes()).hexdigest()
            sys.stdout.write(f"{receipt.seq} {digest}\n")
            sys.stdout.flush()
            i += 1


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
