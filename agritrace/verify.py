"""``agritrace verify URL --trust FILE``: check a scanned code without trusting the server.

Fetches the resolver's JSON answer for the Digital Link (``Accept: application/json``) and
checks, from the trust file alone (:mod:`agritrace._trust`):

1. the answer is about the scanned GTIN and lot, and the code is known;
2. the label's ``s`` signature, when the code carries one, with a label key from the trust
   file or one whose ``ledger.key.register`` entry (role ``label``) the answer proves in the
   checkpoint's tree; a serialised code without ``s`` while label keys exist fails;
3. the checkpoint's signature with the log key, and a valid cosignature by every witness
   the trust file names (a server that rewrote history cannot get one from a witness that
   saw the old history);
4. every entry's inclusion proof in that checkpoint's tree, and that every entry the page
   lists is proven;
5. every fact the page shows (status and banner, product, cooperative, origins and
   growers, harvest date, grade, quantity, packing, residue values and verdicts, cold
   chain) re-derived from the proven statement bodies with the same derivation as the
   server and the browser (:func:`traceability.derive_facts`), compared with the values
   the answer claims and with the page's lines; a mismatch is a finding named by the fact;
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
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rich.console import Console
from rich.markup import escape

from agritrace._trust import TrustFile, TrustFileError
from labels import LabelError, load_public_key, parse_digital_link, verify_link
from ledger import (
    KEY_REGISTER,
    Checkpoint,
    CosignatureVerifier,
    LedgerError,
    NoteVerifier,
    Record,
    key_id_for,
    leaf_hash,
    open_checkpoint,
    verify_cosignature,
    verify_inclusion,
)
from traceability import (
    FACT_NAMES,
    LABEL_ROLE,
    Fact,
    LabApproval,
    ResidueLine,
    check_map_claim,
    compare_facts,
    derive_facts,
)

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


def _label(uri: str, trust: TrustFile, ledger_keys: list[bytes]) -> Finding:
    """Check the code's ``s`` with the trusted label keys and those proven on the ledger."""
    link = parse_digital_link(uri)
    keys = [load_public_key(k) for k in trust.label_keys]
    keys += [Ed25519PublicKey.from_public_bytes(k) for k in ledger_keys]
    if link.signature is None:
        if link.serial is not None and keys:
            return Finding(
                "label", False, "possible counterfeit: a serialised label without a signature"
            )
        return Finding("label", True, "no s= signature on this code (nothing to check)")
    if not keys:
        return Finding("label", False, "the code is signed but no label key is trusted or proven")
    problems = []
    for key in keys:
        try:
            verify_link(link, key)
            return Finding("label", True, "signature verifies with a trusted label key")
        except LabelError as e:
            problems.append(str(e))
    return Finding("label", False, "possible counterfeit: " + "; ".join(dict.fromkeys(problems)))


def _prove(entry: Mapping[str, Any], checkpoint: Checkpoint, what: str) -> Record:
    """The entry an answer lists with its proof, checked in ``checkpoint``'s tree.

    Raises:
        LedgerError, ValueError, KeyError, TypeError: no proof, a bad one, or a leaf that
            is another entry than the one listed.
    """
    index = entry.get("index")
    leaf = _b64(entry["leaf"], f"{what} {index} leaf")
    path = [_b64(h, f"{what} {index} proof") for h in entry["proof"]]
    verify_inclusion(
        int(entry["index"]), checkpoint.size, leaf_hash(leaf), path, checkpoint.root_hash
    )
    record = Record.from_leaf(leaf)
    if record.seq != index:
        raise ValueError(f"the leaf is entry {record.seq}, listed as {index}")
    return record


def _label_keys(
    bundle: Mapping[str, Any], checkpoint: Checkpoint, out: list[Finding]
) -> list[bytes]:
    """The label keys the answer proves: label-role registrations in the checkpoint's tree."""
    label = bundle.get("label")
    if not isinstance(label, dict):
        return []
    keys = []
    for entry in label.get("keys", []):
        index = entry.get("index")
        try:
            record = _prove(entry, checkpoint, "label key entry")
            body = record.statement.body
            if record.statement.kind != KEY_REGISTER:
                raise ValueError(f"entry {record.seq} is not a key registration")
            if LABEL_ROLE not in body.get("roles", []):
                raise ValueError(f"entry {record.seq} does not register a label key")
            key = _b64(body["public_key"], f"label key entry {index} public_key")
            if len(key) != 32:
                raise ValueError(f"entry {record.seq}: expected a 32-byte key, got {len(key)}")
            keys.append(key)
        except (LedgerError, ValueError, KeyError, TypeError) as e:
            out.append(Finding("label", False, f"label key entry {index}: {e}"))
    if keys:
        out.append(Finding("label key", True, f"{len(keys)} label key(s) proven on the ledger"))
    return keys


def _proofs(
    answer: Mapping[str, Any], trust: TrustFile, out: list[Finding], label_keys: list[bytes]
) -> tuple[int, dict[int, Record]] | None:
    """Check the checkpoint, cosignatures and inclusion proofs; return its size and records.

    The label keys the answer proves are added to ``label_keys``.
    """
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
            record = _prove(entry, checkpoint, "entry")
        except (LedgerError, ValueError, KeyError, TypeError) as e:
            out.append(Finding("inclusion", False, f"entry {index}: {e}"))
            continue
        records[record.seq] = record
    out.append(Finding("inclusion", True, f"{len(records)} entries proven in the signed tree"))
    label_keys += _label_keys(bundle, checkpoint, out)
    out.extend(_labs(bundle, checkpoint, records, trust))
    lot = answer.get("lot") or {}
    listed = {int(e["seq"]) for e in lot.get("entries", [])}
    for seq in sorted(listed - records.keys()):
        out.append(Finding("inclusion", False, f"entry {seq} is listed but not proven"))
    return checkpoint.size, records


#: Entries only a lab the regulator approved may sign (docs/adr/0020).
_LAB_SIGNED = frozenset({"trace.residue"})


def _labs(
    bundle: Mapping[str, Any],
    checkpoint: Checkpoint,
    records: Mapping[int, Record],
    trust: TrustFile,
) -> list[Finding]:
    """Check that each lab result the page rests on was approved by a trusted regulator key.

    The answer's ``labs`` proves each result key's registration and the ``trace.lab_approval``
    of it; the result's signature must verify with the registered key, and the approval,
    made before the result, with one of the trust file's regulator keys. The cooperative
    registers every key, so only a key obtained from the regulator tells its approval from
    one the cooperative signed itself.
    """
    results = [r for r in records.values() if r.statement.kind in _LAB_SIGNED]
    if not results:
        return []
    if not trust.regulator_keys:
        return [
            Finding(
                "lab",
                False,
                "lab approvals not checked: the trust file names no regulator key "
                "([regulators] keys, obtained from the market regulator)",
            )
        ]
    registered: dict[str, bytes] = {}
    approvals: dict[str, list[Record]] = {}
    found: list[Finding] = []
    for entry in bundle.get("labs", []):
        try:
            record = _prove(entry, checkpoint, "lab entry")
            body = record.statement.body
            if record.statement.kind == KEY_REGISTER:
                public = _b64(body["public_key"], f"lab entry {record.seq} public_key")
                registered[key_id_for(public)] = public
            elif record.statement.kind == LabApproval.KIND:
                approvals.setdefault(str(body["key_id"]), []).append(record)
        except (LedgerError, ValueError, KeyError, TypeError) as e:
            found.append(Finding("lab", False, f"lab entry {entry.get('index')}: {e}"))
    regulators = {key_id_for(k): k for k in trust.regulator_public_keys()}
    for result in sorted(results, key=lambda r: r.seq):
        found.append(_lab_result(result, registered, approvals, regulators))
    return found


def _lab_result(
    result: Record,
    registered: Mapping[str, bytes],
    approvals: Mapping[str, list[Record]],
    regulators: Mapping[str, bytes],
) -> Finding:
    """One result's lab: its key registered, its signature, an approval by a regulator key."""
    key_id = result.statement.key_id
    where = f"result entry {result.seq}"
    public = registered.get(key_id)
    if public is None:
        return Finding("lab", False, f"{where}: its key {key_id} is not proven registered")
    try:
        result.signed.verify(public)
    except LedgerError as e:
        return Finding("lab", False, f"{where}: {e}")
    problems = []
    for approval in approvals.get(key_id, []):
        signer = regulators.get(approval.statement.key_id)
        if approval.seq >= result.seq:
            problems.append(f"approval entry {approval.seq} comes after the result")
        elif signer is None:
            problems.append(
                f"approval entry {approval.seq} is signed by key {approval.statement.key_id}, "
                "not a regulator key the trust file names"
            )
        else:
            try:
                approval.signed.verify(signer)
            except LedgerError as e:
                problems.append(f"approval entry {approval.seq}: {e}")
                continue
            lab = approval.statement.body.get("lab")
            return Finding("lab", True, f"{where}: lab {lab} approved by a trusted regulator key")
    why = "; ".join(problems) or "no approval of its key is proven"
    return Finding("lab", False, f"{where}: possible self-approved lab: {why}")


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


# The banner each derived lifecycle status allows: only a lot for sale may be "verified"
# ("unproven" when the server could not prove it yet); a recall is always "recalled".
_FOR_SALE = {"released", "shipped", "received"}


def _banner_ok(shown: str, status: str | None, label_refused: bool = False) -> bool:
    if label_refused:
        # The label (or the certificate) was refused, not the lot: its banner says so.
        return shown == "counterfeit"
    if status == "recalled":
        return shown == "recalled"
    if status in _FOR_SALE:
        return shown in ("verified", "unproven")
    return shown == "on_hold"


def _claims(answer: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fact values the answer claims: ``lot.claims[*].value`` and ``proof.facts``."""
    lot = answer.get("lot") or {}
    claims = {
        str(name): claim.get("value") if isinstance(claim, dict) else None
        for name, claim in (lot.get("claims") or {}).items()
    }
    bundle = answer.get("proof") or {}
    facts = bundle.get("facts") if isinstance(bundle, dict) else None
    return claims, dict(facts or {})


def _wording(derived: Mapping[str, Fact], text: Mapping[str, str]) -> dict[str, str]:
    """Facts whose displayed line (``lot.facts``) does not say what the entries give."""
    wrong: dict[str, str] = {}

    def want(fact: str, line: str, part: str) -> None:
        if part not in text.get(line, ""):
            wrong.setdefault(fact, f"the page's {line!r} line does not say {part!r}")

    status = derived["status"].value
    if status is not None and not text.get("status", "").startswith(str(status)):
        wrong["status"] = f"the page's status line does not say {status!r}"
    for origin in derived["origins"].value or []:
        want("origins", "grower", f"{origin['grower']} ({origin['farm']} / {origin['plot']})")
        want("origins", "origin", f"{origin['village']}, {origin['county']}")
    for name in ("harvested", "grade", "quantity"):
        if derived[name].value is not None:
            want(name, name, str(derived[name].value))
    for row in derived["residues"].value or []:
        line = ResidueLine(0, 0, "", "", **row)
        want("residues", "residue", str(line))
        want("residues", "lab", f"{line.lab}, sample {line.sample_id}, limits {line.edition}")
    for line in derived["cold_chain"].value or []:
        want("cold_chain", "cold_chain", line)
    names = derived["cooperative"].value or {}
    for name in names.values():
        if name:
            want("cooperative", "cooperative", name)
    return wrong


def _refused(answer: Mapping[str, Any]) -> Finding | None:
    """The server's own refusal of the scanned label or certificate, named before the facts.

    Whether a serial was issued is not in the answer's proofs (a signature can be genuine on
    a serial nobody printed): the server's word that it was never issued is a failure here,
    named as the serial's, never blamed on the lot's status.
    """
    label = answer.get("label") or {}
    if isinstance(label, dict) and label.get("state") == "counterfeit":
        serial = (answer.get("link") or {}).get("serial")
        what = "serial" if label.get("code") == "never_issued" else "label"
        said = label.get("reason") or "refused"
        return Finding(what, False, f"possible counterfeit: {said} (serial {serial})")
    certificate = answer.get("certificate") or {}
    if isinstance(certificate, dict) and certificate.get("state") == "invalid":
        said = certificate.get("reason") or "not a certificate of this lot"
        return Finding("certificate", False, f"possible counterfeit: {said}")
    return None


def _facts(
    gtin: str, lot: str, answer: Mapping[str, Any], records: Mapping[int, Record]
) -> list[Finding]:
    """Re-derive every fact from the proven bodies (:func:`traceability.derive_facts`).

    The derived facts must equal the answer's claimed values (``lot.claims`` and
    ``proof.facts``, the ones the browser compares), the page's lines must say them, and the
    banner must be the one the derived status allows.
    """
    entries = [
        {"seq": seq, "kind": r.statement.kind, "body": r.statement.body}
        for seq, r in sorted(records.items())
    ]
    try:
        derived = derive_facts(entries, gtin, lot)
    except ValueError as e:
        return [Finding("facts", False, f"the proven entries do not give the facts: {e}")]
    claims, bundle_facts = _claims(answer)
    if not claims:
        return [Finding("facts", False, "the answer claims no fact values: nothing to compare")]
    text = {str(k): str(v) for k, v in (answer.get("lot") or {}).get("facts", {}).items()}
    wrong: dict[str, str] = {}
    for where, shown in (("lot.claims", claims), ("proof.facts", bundle_facts)):
        for m in compare_facts(shown, derived):
            wrong.setdefault(
                str(m["fact"]), f"{where} says {m['shown']!r}, the entries give {m['derived']!r}"
            )
    for fact, detail in _wording(derived, text).items():
        wrong.setdefault(fact, detail)
    status = derived["status"].value
    banner = str(answer.get("status"))
    if not _banner_ok(banner, status, _refused(answer) is not None) and "status" not in wrong:
        wrong["status"] = f"the page says {banner}, the entries make it {status}"
    if answer.get("lot_status") not in (None, status) and "status" not in wrong:
        wrong["status"] = f"lot_status {answer.get('lot_status')!r}, the entries give {status!r}"
    found = []
    for name in FACT_NAMES:
        if name in wrong:
            found.append(Finding(name, False, wrong[name]))
        else:
            entries_of = ", ".join(str(s) for s in derived[name].entries) or "none"
            found.append(Finding(name, True, f"{derived[name].value!r} (entries {entries_of})"))
    if "facts" in wrong:
        found.append(Finding("facts", False, wrong["facts"]))
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
    status = answer.get("status")
    if status == "unknown" or answer.get("lot") is None:
        out.append(_label(uri, trust, []))
        out.append(Finding("lot", False, "unknown code: possible counterfeit"))
        return out
    if status == "unverified":
        out.append(Finding("status", False, "the server reports its records drift from its log"))
    refused = _refused(answer)
    if refused is not None:
        out.append(refused)  # the serial (or certificate) first: it is what was refused
    ledger_keys: list[bytes] = []
    proven = _proofs(answer, trust, out, ledger_keys)
    out.append(_label(uri, trust, ledger_keys))
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
