"""The log's side of C2SP ``tlog-witness``: submit the latest checkpoint, store the cosignature.

The log sends ``old <size>`` — the largest size this witness cosigned for it, as far as the
log's store knows — with the consistency proof from there. A witness that holds another
size answers 409 with it; the log then retries once from that size (a witness restored
from backup, or a cosignature the log never stored). The returned line is verified with the
witness's key before it is stored, so a misconfigured or hostile witness cannot put a
bad line next to the checkpoint.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from ledger._checkpoint import Checkpoint
from ledger._cosignature import CosignatureVerifier
from ledger._errors import LedgerError, NoteError
from ledger._log import Ledger
from ledger._note import parse_note
from ledger._witness_protocol import AddCheckpoint

__all__ = ["HttpReply", "Post", "WitnessClientError", "request_cosignature", "urllib_post"]

#: Seconds to wait for a witness (a rural uplink can be slow, but a witness is one request).
TIMEOUT = 20.0
#: A witness answer is a few signature lines; anything far larger is not one.
MAX_REPLY_BYTES = 64 * 1024
SIZE_MEDIA_TYPE = "text/x.tlog.size"


class WitnessClientError(LedgerError):
    """A witness could not be reached, refused the checkpoint, or answered nonsense."""


@dataclass(frozen=True)
class HttpReply:
    """What a witness answered: status, content type, body."""

    status: int
    content_type: str
    body: bytes


#: POSTs a body to a URL and returns the reply (any status), or raises OSError.
Post = Callable[[str, bytes], HttpReply]


def urllib_post(url: str, body: bytes) -> HttpReply:
    """POST with the standard library; every HTTP status is a reply, not an exception."""
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's witness
        url, data=body, method="POST", headers={"Content-Type": "text/plain; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            ctype = response.headers.get("Content-Type", "")
            return HttpReply(response.status, ctype, response.read(MAX_REPLY_BYTES))
    except urllib.error.HTTPError as e:
        ctype = e.headers.get("Content-Type", "") if e.headers else ""
        return HttpReply(e.code, ctype, e.read(MAX_REPLY_BYTES))


def request_cosignature(
    ledger: Ledger,
    witness_url: str,
    witness_key: CosignatureVerifier,
    *,
    post: Post = urllib_post,
) -> int:
    """Submit the log's latest checkpoint to a witness; verify and store its cosignature.

    Args:
        ledger: The log.
        witness_url: The witness's submission prefix (``/add-checkpoint`` is appended).
        witness_key: The witness's cosignature key, as configured out of band.
        post: How to POST (a test passes its in-process client).

    Returns:
        The cosignature's timestamp.

    Raises:
        WitnessClientError: unreachable, refused (the message carries the witness's reason),
            or no valid cosignature by ``witness_key`` in the answer.
        StoreError: the log has no checkpoint yet.
    """
    note = ledger.latest_checkpoint()
    if note is None:
        raise WitnessClientError("the log has no checkpoint yet: nothing to witness")
    checkpoint = Checkpoint.parse(parse_note(note.encode()).text)
    with ledger.store.read() as conn:
        old = ledger.store.cosigned_size(conn, witness_key.name) or 0
    url = witness_url.rstrip("/") + "/add-checkpoint"
    reply = _submit(ledger, url, checkpoint, note, min(old, checkpoint.size), post)
    if reply.status == 409 and reply.content_type.startswith(SIZE_MEDIA_TYPE):
        known = _known_size(reply.body, url)
        if known > checkpoint.size:
            raise WitnessClientError(
                f"{url} has cosigned size {known} of this log, beyond its checkpoint of "
                f"{checkpoint.size}: the log was rolled back, or another log has its name"
            )
        if known != old:
            reply = _submit(ledger, url, checkpoint, note, known, post)
    if reply.status != 200:
        reason = reply.body[:300].decode("utf-8", "replace").strip()
        raise WitnessClientError(f"{url} refused size {checkpoint.size}: {reply.status} {reason}")
    return _store_lines(ledger, reply.body, witness_key, checkpoint.size, url)


def _submit(
    ledger: Ledger, url: str, checkpoint: Checkpoint, note: str, old: int, post: Post
) -> HttpReply:
    proof = ledger.consistency_proof(old, checkpoint.size) if 0 < old < checkpoint.size else []
    body = AddCheckpoint(old, tuple(proof), note.encode()).body()
    try:
        return post(url, body)
    except OSError as e:
        raise WitnessClientError(f"cannot reach the witness at {url}: {e}") from e


def _known_size(body: bytes, url: str) -> int:
    text = body.decode("ascii", "replace")
    if not text.endswith("\n") or not text[:-1].isdigit():
        raise WitnessClientError(f"{url}: 409 without a size line, got {text[:40]!r}")
    return int(text[:-1])


def _store_lines(ledger: Ledger, body: bytes, key: CosignatureVerifier, size: int, url: str) -> int:
    """Store the first line by ``key`` that verifies; lines by other keys are ignored."""
    text = body.decode("utf-8", "replace")
    problems = []
    for line in text.splitlines():
        if not line.startswith(f"\u2014 {key.name} "):
            continue  # tlog-witness: "The client MUST ignore any cosignatures from unknown keys"
        try:
            return ledger.add_cosignature(line + "\n", key, size)
        except NoteError as e:
            problems.append(str(e))
    why = "; ".join(problems) or "no line by that witness"
    raise WitnessClientError(f"{url}: no valid cosignature by {key.name}: {why}")
