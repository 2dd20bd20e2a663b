"""``agritrace verify URL --trust FILE``: check a scanned code without trusting the server.

Fetches the resolver's JSON answer for the Digital Link (``Accept: application/json``) and
checks, from the trust file alone (:mod:`agritrace._trust`):

1. the answer is about the scanned GTIN and lot, and the code is known;
2. the label's ``s`` signature, when the code carries one, with a trusted label key;
3. the checkpoint's signature with the log key, and a valid cosignature by every witness
   the trust file names (a server that rewrote history cannot get one from a witness that
   saw the old history);
4. every entry's inclusion proof in that checkpoint's tree, and that every entry the page
   lists is proven;
5. the page's banner and facts re-derived from the proven statement bodies
   (:func:`traceability.derive_lot`);
6. the lot's proof in the signed lot-status map that ends the checkpoint
   (:func:`traceability.check_map_claim`): the status the page shows is the map's, and no
   entry it rests on (a recall, a hold) was left out. An answer without one fails: a
   server that leaves out a recall could leave out the map proof too.

:func:`check_answer` is pure (the answer in, findings out); exit status 1 names every
mismatch, 2 means the check could not run (no answer, unreadable trust file).
"""

from __future__ import annotations

import base64
import binascii
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from agritrace._trust import TrustFile, TrustFileError
from labels import LabelError, load_public_key, parse_digital_link, verify_link
from ledger import (
    CosignatureVerifier,
    LedgerError,
    NoteVerifier,
    Record,
    leaf_hash,
    open_checkpoint,
    verify_cosignature,
    verify_inclusion,
)
from traceability import check_map_claim, derive_lot

__all__ = ["Finding", "check_answer", "fetch_answer", "verify"]

_MAX_ANSWER = 4 * 1024 * 1024  # a lot page's JSON is tens of KB; refuse to read without limit


@dataclass(frozen=True)
class Finding:
    """One check: what was checked, whether it holds, and the detail (expected / got)."""

    check: str
    ok: bool
    detail: str


def _b64(value: Any, what: str) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValueError(f"{what}: expected base64, got {value!r}") from e


def _label(uri: str, trust: TrustFile) -> Finding:
    link = parse_digital_link(uri)
    if link.signature is None:
        return Finding("label", True, "no s= signature on this code (nothing to check)")
    if not trust.label_keys:
        return Finding("label", False, "the code is signed but the trust file has no label key")
    problems = []
    for key in trust.label_keys:
        try:
            verify_link(link, load_public_key(key))
            return Finding("label", True, "signature verifies with a trusted label key")
        except LabelError as e:
            problems.append(str(e))
    return Finding("label", False, "possible counterfeit: " + "; ".join(problems))


def _proofs(
    answer: Mapping[str, Any], trust: TrustFile, out: list[Finding]
) -> tuple[int, dict[int, Record]] | None:
    """Check the checkpoint, cosignatures and inclusion proofs; return its size and records."""
    bundle = answer.get("proof")
    if not isinstance(bundle, dict):
        out.append(Finding("checkpoint", False, "the answer carries no proof: nothing proven"))
        return None
    try:
        note_bytes = str(bundle["checkpoint"]).encode()
        checkpoint, note = open_checkpoint(
            note_bytes, trust.origin, NoteVerifier.from_key_string(trust.log_key)
        )
    except (LedgerError, KeyError) as e:
        out.append(Finding("checkpoint", False, f"not signed by the trusted log key: {e}"))
        return None
    out.append(Finding("checkpoint", True, f"signed by {trust.origin}, size {checkpoint.size}"))
    for key in trust.witnesses:
        verifier = CosignatureVerifier.from_key_string(key)
        try:
            when = verify_cosignature(checkpoint, note, verifier)
            out.append(Finding("witness", True, f"cosigned by {verifier.name} at {when}"))
        except LedgerError as e:
            out.append(Finding("witness", False, f"{verifier.name}: {e}"))
    records: dict[int, Record] = {}
    for entry in bundle.get("entries", []):
        index = entry.get("index")
        try:
            leaf = _b64(entry["leaf"], f"entry {index} leaf")
            path = [_b64(h, f"entry {index} proof") for h in entry["proof"]]
            verify_inclusion(
                int(index), checkpoint.size, leaf_hash(leaf), path, checkpoint.root_hash
            )
            record = Record.from_leaf(leaf)
            if record.seq != index:
                raise ValueError(f"the leaf is entry {record.seq}, listed as {index}")
        except (LedgerError, ValueError, KeyError, TypeError) as e:
            out.append(Finding("inclusion", False, f"entry {index}: {e}"))
            continue
        records[record.seq] = record
    out.append(Finding("inclusion", True, f"{len(records)} entries proven in the signed tree"))
    lot = answer.get("lot") or {}
    listed = {int(e["seq"]) for e in lot.get("entries", [])}
    for seq in sorted(listed - records.keys()):
        out.append(Finding("inclusion", False, f"entry {seq} is listed but not proven"))
    return checkpoint.size, records


def _status_map(
    gtin: str, lot: str, answer: Mapping[str, Any], size: int, records: Mapping[int, Record]
) -> Finding:
    bundle = answer.get("proof") or {}
    proven = {s: (r.statement.kind, r.statement.body) for s, r in records.items()}
    shown = answer.get("lot_status")
    verdict = check_map_claim(bundle.get("statusMap"), size, proven, gtin, lot, shown)
    if verdict.state == "checked":
        return Finding("status map", True, f"{shown}, as the signed lot-status map says")
    if verdict.state == "not_checked":
        return Finding("status map", False, f"not checked for omissions: {verdict.reason}")
    return Finding("status map", False, verdict.reason)


def _facts(
    gtin: str, lot: str, answer: Mapping[str, Any], records: Mapping[int, Record]
) -> list[Finding]:
    derived = derive_lot(
        gtin, lot, ((s, r.statement.kind, r.statement.body) for s, r in records.items())
    )
    facts: dict[str, str] = dict((answer.get("lot") or {}).get("facts", {}))
    shown = str(answer.get("status"))
    found: list[Finding] = []
    because = f"entry {derived.because}" if derived.because is not None else "no entry"
    if shown == derived.banner:
        found.append(Finding("status", True, f"{shown}, as {because} makes it"))
    elif shown == "on_hold" and derived.banner == "verified":
        # A hold by a quality rule (residue verdict, cold chain) rests on rule entries the
        # page does not list; stricter than the entries show is not a false claim.
        found.append(
            Finding("status", True, "on_hold (a rule hold the listed entries cannot show)")
        )
    else:
        found.append(
            Finding(
                "status",
                False,
                f"page says {shown}, the entries make it {derived.banner} ({because})",
            )
        )

    def same(name: str, want: str | None) -> None:
        got = facts.get(name)
        if want is None and got is None:
            return
        ok = got == want
        found.append(Finding(name, ok, f"{got!r}" if ok else f"page {got!r}, entries {want!r}"))

    same("grade", derived.grade)
    same("harvested", derived.harvested)
    for plot in derived.plots:
        ok = f"/ {plot})" in facts.get("grower", "")
        found.append(Finding("origin", ok, f"plot {plot}" + ("" if ok else " missing from page")))
    lines = [x for x in facts.get("residue", "").split("; ") if x and "no residue test" not in x]
    if len(lines) != len(derived.residues) or not all(
        any(line == want or line.startswith((want + " ", want + ",")) for line in lines)
        for want in derived.residues
    ):
        found.append(
            Finding("residue", False, f"page {lines}, lab results {list(derived.residues)}")
        )
    else:
        found.append(Finding("residue", True, f"{len(lines)} result(s) as the lab signed them"))
    for lab in derived.labs:
        ok = lab in facts.get("lab", "")
        found.append(Finding("lab", ok, lab + ("" if ok else " missing from page")))
    return found


def check_answer(uri: str, answer: Mapping[str, Any], trust: TrustFile) -> list[Finding]:
    """Check a resolver's JSON answer for ``uri`` against ``trust``; return every finding."""
    link = parse_digital_link(uri)
    out: list[Finding] = []
    about = answer.get("link") or {}
    if (about.get("gtin"), about.get("lot")) != (link.gtin, link.lot):
        out.append(
            Finding(
                "link",
                False,
                f"scanned {link.gtin}/{link.lot}, the answer is about "
                f"{about.get('gtin')}/{about.get('lot')}",
            )
        )
    out.append(_label(uri, trust))
    status = answer.get("status")
    if status == "unknown" or answer.get("lot") is None:
        out.append(Finding("lot", False, "unknown code: possible counterfeit"))
        return out
    if status == "unverified":
        out.append(Finding("status", False, "the server reports its records drift from its log"))
    proven = _proofs(answer, trust, out)
    if proven is not None and link.lot is not None:
        size, records = proven
        out.extend(_facts(link.gtin, link.lot, answer, records))
        out.append(_status_map(link.gtin, link.lot, answer, size, records))
    return out


def fetch_answer(uri: str, timeout: float = 20.0) -> dict[str, Any]:
    """GET ``uri`` as JSON (a 404 for an unknown code is an answer too).

    Raises:
        OSError: the server could not be reached or did not answer JSON.
    """
    if not uri.startswith(("http://", "https://")):
        raise OSError(f"expected an http(s) Digital Link URI, got {uri!r}")
    request = urllib.request.Request(uri, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read(_MAX_ANSWER + 1)
    except urllib.error.HTTPError as e:
        body = e.read(_MAX_ANSWER + 1)
    if len(body) > _MAX_ANSWER:
        raise OSError(f"the answer exceeds {_MAX_ANSWER} bytes")
    try:
        value = json.loads(body)
    except ValueError as e:
        raise OSError(f"the answer is not JSON: {e}") from e
    if not isinstance(value, dict):
        raise OSError(f"expected a JSON object, got {type(value).__name__}")
    return value


def verify(
    url: Annotated[str, typer.Argument(help="The scanned Digital Link URI.")],
    trust: Annotated[
        Path, typer.Option("--trust", help="Trust file: log origin and key, witnesses, labels.")
    ],
) -> None:
    """Check a scanned code's page data from a trust file, trusting nothing the server says.

    Exit status 0 when every check holds, 1 naming each mismatch, 2 when it cannot run.
    """
    out, err = Console(soft_wrap=True), Console(stderr=True, soft_wrap=True)
    try:
        trusted = TrustFile.load(trust)
        findings = check_answer(url, fetch_answer(url), trusted)
    except (TrustFileError, OSError, LabelError) as e:
        err.print(f"[red]error:[/red] {escape(str(e))}", highlight=False)
        raise typer.Exit(2) from e
    for f in findings:
        mark = "ok  " if f.ok else "FAIL"
        (out if f.ok else err).print(f"{mark} {f.check}: {escape(f.detail)}", highlight=False)
    failed = [f for f in findings if not f.ok]
    if failed:
        err.print(f"[red]{len(failed)} check(s) failed[/red]", highlight=False)
        raise typer.Exit(1)
    out.print("verified: every check holds", highlight=False)
