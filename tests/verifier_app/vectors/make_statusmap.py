"""Write ``statusmap.json``: lot-status map proofs and page claims, good and bad.

Run from the repository root: ``.venv/bin/python tests/verifier_app/vectors/make_statusmap.py``.
The map is built here naively (every one of the 65,536 bucket hashes, then the whole tree),
so the vectors also pin the incremental tables of ``traceability/projection/_status_map.py``
against an independent computation. Each case has ``desc`` and either ``want_err`` (a
substring of the error) or none (the proof holds); each claim case has ``want`` (the state)
and ``want_reason`` (a substring).
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

from traceability._map_proof import (
    DEPTH,
    MapProof,
    bucket_hash,
    bucket_of,
    map_value,
    node_hash,
    proof_to_json,
    value_hash,
)

OUT = Path(__file__).with_name("statusmap.json")
GTIN = "06912345670012"


def key(lot: str) -> str:
    return f"(01){GTIN}(10){lot}"


def build(values: dict[str, dict[str, Any]]) -> tuple[bytes, list[list[bytes]]]:
    """The naive map: all bucket hashes, then every level up to the root."""
    buckets: dict[int, list[tuple[str, bytes]]] = {}
    for k, v in values.items():
        buckets.setdefault(bucket_of(k), []).append((k, value_hash(v)))
    levels = [[bucket_hash(buckets.get(i, [])) for i in range(2**DEPTH)]]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below), 2)])
    return levels[-1][0], levels


def proof(values: dict[str, dict[str, Any]], levels: list[list[bytes]], k: str) -> MapProof:
    b = bucket_of(k)
    pairs = sorted((x, value_hash(v)) for x, v in values.items() if bucket_of(x) == b)
    siblings = tuple(levels[level][(b >> level) ^ 1] for level in range(DEPTH))
    return MapProof(k, tuple(pairs), siblings)


def main() -> None:
    # Forty lots; then a code that shares a bucket with one of them (put in the map), and a
    # third code in that bucket kept out of the map.
    statuses = ("released", "on_hold", "recalled", "shipped")
    values = {key(f"V26-{n:05d}"): map_value(statuses[n % 4], [n, n + 7]) for n in range(40)}
    taken = {bucket_of(k): k for k in values}
    codes = (key(f"W26-{n:06d}") for n in range(10**7))
    second = next(k for k in codes if bucket_of(k) in taken)
    pair = (taken[bucket_of(second)], second)
    values[second] = map_value("shipped", [41])
    outsider = next(k for k in codes if bucket_of(k) == bucket_of(pair[0]))
    values[pair[0]] = map_value("recalled", [5, 9])
    root, levels = build(values)
    root64 = base64.b64encode(root).decode()
    lone = next(k for k in values if k not in pair)
    empty = next(
        key(f"X26-{i:05d}")
        for i in range(10**6)
        if bucket_of(key(f"X26-{i:05d}")) not in {bucket_of(k) for k in values}
    )

    def case(desc: str, k: str, value: Any, want_err: str | None = None, **edit: Any) -> Any:
        data = proof_to_json(proof(values, levels, k))
        data.update(edit)
        out = {"desc": desc, "root": root64, "proof": data, "value": value}
        if want_err:
            out["want_err"] = want_err
        return out

    p_lone = proof_to_json(proof(values, levels, lone))
    p_pair = proof_to_json(proof(values, levels, pair[0]))
    flipped = list(p_lone["siblings"])
    raw = bytearray(base64.b64decode(flipped[7]))
    raw[0] ^= 1
    flipped[7] = base64.b64encode(bytes(raw)).decode()
    stranger = proof_to_json(proof(values, levels, empty))["bucket"] + [p_lone["bucket"][0]]
    cases = [
        case("present, alone in its bucket", lone, values[lone]),
        case("present, sharing its bucket", pair[0], values[pair[0]]),
        case("present, the other key of a shared bucket", pair[1], values[pair[1]]),
        case("absent, its bucket empty", empty, None),
        case("absent, its bucket holds other lots", outsider, None),
        case("a wrong sibling", lone, values[lone], "root", siblings=flipped),
        case(
            "another value claimed (released, the map says recalled)",
            pair[0],
            map_value("released", [5, 9]),
            "another value",
        ),
        case(
            "an entry dropped from the value",
            pair[0],
            map_value("recalled", [9]),
            "another value",
        ),
        case(
            "a pair left out of the bucket",
            pair[0],
            values[pair[0]],
            "root",
            bucket=[b for b in p_pair["bucket"] if b[0] == pair[0]],
        ),
        case(
            "a changed value hash in the bucket",
            pair[0],
            values[pair[0]],
            "root",
            bucket=[[pair[0], value_hash(map_value("released", [5, 9])).hex()]]
            + [b for b in p_pair["bucket"] if b[0] != pair[0]],
        ),
        case("claimed absent, but present", lone, None, "claimed absent"),
        case("claimed present, but absent", outsider, map_value("released", [1]), "absent"),
        case("a pair from another bucket", empty, None, "does not belong", bucket=stranger),
        case("fifteen siblings", lone, values[lone], "16", siblings=p_lone["siblings"][:15]),
        case(
            "a key twice in its bucket",
            lone,
            values[lone],
            "twice",
            bucket=p_lone["bucket"] * 2,
        ),
    ]

    # Page claims: the map entry at 120 ends a checkpoint of 121 entries.
    lot = pair[0].split("(10)")[1]
    sm = {"entry": 120, "value": values[pair[0]], **p_pair}
    map_entry = {"kind": "trace.status_map", "body": {"size": 120, "root": root64, "lots": 41}}
    proven: dict[str, dict[str, Any]] = {
        "5": {"kind": "trace.recall", "body": {}},
        "9": {"kind": "trace.hold", "body": {}},
        "120": map_entry,
    }

    def claim(desc: str, want: str, reason: str = "", **edit: Any) -> dict[str, Any]:
        c = {
            "desc": desc,
            "statusMap": copy.deepcopy(sm),
            "size": 121,
            "proven": copy.deepcopy(proven),
            "gtin": GTIN,
            "lot": lot,
            "shown": "recalled",
            "want": want,
            "want_reason": reason,
        }
        c.update(copy.deepcopy(edit))
        return c

    stale = copy.deepcopy(proven)
    stale["120"]["body"]["size"] = 119
    short = {k: v for k, v in proven.items() if k != "5"}
    claims = [
        claim("the page's status is the map's, every entry proven", "checked"),
        claim("no map proof", "not_checked", "does not end", statusMap=None),
        claim("the map entry is not the checkpoint's last", "mismatch", "last", size=122),
        claim("the map entry does not cover all before it", "mismatch", "not a map", proven=stale),
        claim("the page shows released, the map recalled", "mismatch", "status", shown="released"),
        claim("the recall entry left off the page", "mismatch", "leaves out", proven=short),
        claim(
            "the proof is for another lot",
            "mismatch",
            "not this lot",
            lot=lone.split("(10)")[1],
        ),
        claim(
            "the map entry itself not proven",
            "mismatch",
            "not proven",
            proven={k: v for k, v in proven.items() if k != "120"},
        ),
        claim(
            "a value the map does not hold",
            "mismatch",
            "another value",
            statusMap={**sm, "value": map_value("released", [5, 9])},
            shown="released",
        ),
    ]
    text = json.dumps(
        {
            "description": __doc__.splitlines()[0],
            "root": root64,
            "cases": cases,
            "claims": claims,
        },
        indent=1,
        sort_keys=True,
    )
    OUT.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
