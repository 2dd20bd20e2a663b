"""The label is checked on scan: its signature, whether its serial was issued, and its count.

Serials are issued on the ledger by a packing entry's ``units``; labels are signed with the
cooperative's label key (``labels.sign_link``). A serial nobody issued and a bad or missing
signature on a unit's label are "possible counterfeit" with the reason; a printed serial is
verified and counted ("scanned N times since DATE"), and a count far above what one unit
sees marks it suspicious.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from labels import DigitalLink, sign_link
from ledger import (
    KEY_REVOKE,
    KeyFolder,
    Ledger,
    Statement,
    format_time,
    key_id_for,
    revoke_body,
    sign_statement,
)
from tests.verifier_app.conftest import RESOLVER, write_token_file
from traceability import (
    SUSPICIOUS_SCANS,
    Packing,
    Recorder,
    register_label_key,
    suspicious_serials,
)
from traceability.demo import Season, build_season
from verifier_app import Settings, create_app
from verifier_app._formats import format_day

ORIGIN = "labels.kashgar-coop.example/log"
JSON = {"Accept": "application/json"}
ISSUED = ("000001", "000002", "000003")
TOKEN = "regulator-token-for-label-tests"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Season, Path]]:
    """The demo season, its released lot packed into three serialised units, a label key."""
    folder = tmp_path_factory.mktemp("season")
    keys = KeyFolder(folder / "keys")
    root = keys.create("root")
    url = f"sqlite:///{folder / 'ledger.db'}"
    with Ledger.create(url, ORIGIN, root, keys.create_log_signer(ORIGIN)) as ledger:
        season = build_season(ledger, root, keys.create)
        lot = {"gtin": season.gtin, "lot": season.released}
        packing = Packing.from_body(
            {
                "unit_id": "CASE-0609-01",
                "lots": [lot],
                "units": [{**lot, "serial": s} for s in ISSUED],
                "site": "KS-PS1",
                "time": "2026-06-09T09:00:00+08:00",
            }
        )
        Recorder(ledger).record(packing, keys.load("packing-shed"))
        register_label_key(ledger, root, keys.create("label").public_key(), "label printer")
        ledger.checkpoint()
    tokens = write_token_file(folder / "tokens.toml", {TOKEN: ("market-regulator", ["regulator"])})
    settings = Settings(
        db=url, keys=folder / "keys", resolver=RESOLVER, demo=True, rate_burst=1000, tokens=tokens
    )
    with TestClient(create_app(settings)) as client:
        yield client, season, folder


def _label(world: tuple[TestClient, Season, Path], serial: str, *, sign: bool = True) -> str:
    _, season, folder = world
    link = DigitalLink(RESOLVER, season.gtin, lot=season.released, serial=serial)
    if sign:
        link = sign_link(link, KeyFolder(folder / "keys").load("label"))
    return link.uri.removeprefix(RESOLVER)


def test_a_printed_serial_is_verified_and_counted(world: tuple[TestClient, Season, Path]) -> None:
    client = world[0]
    path = _label(world, "000001")
    first = client.get(path, headers=JSON).json()
    assert first["status"] == "verified"
    assert first["label"]["state"] == "signed"
    second = client.get(path, headers=JSON).json()
    assert second["label"]["scans"] == first["label"]["scans"] + 1  # counted, never cached
    page = client.get(path + "&lang=en").text
    since = format_day(first["label"]["since"], "en")
    assert f"scanned {second['label']['scans'] + 1} times since {since}" in page
    client.head(path)
    assert client.get(path, headers=JSON).json()["label"]["scans"] == second["label"]["scans"] + 2


def test_a_serial_never_issued_is_a_possible_counterfeit(
    world: tuple[TestClient, Season, Path],
) -> None:
    client = world[0]
    path = _label(world, "999999")  # signed with the real key, but never packed
    answer = client.get(path, headers=JSON)
    assert answer.status_code == 404
    assert answer.json()["status"] == "counterfeit"
    assert "never issued" in answer.json()["label"]["reason"]
    assert answer.json()["label"]["code"] == "never_issued"
    page = client.get(path + "&lang=en")
    assert "Possible counterfeit label" in page.text
    assert "serial number was never issued for this lot." in page.text
    assert "Released for sale" not in page.text
    # The reason in the page's language, never the English of the JSON.
    never = (("zh", "这个标签的序列号从未发放给本批次。"), ("ug", "ھەرگىز بېرىلمىگەن"))
    for language, said in never:
        page = client.get(path + f"&lang={language}")
        assert said in page.text
        assert "never issued" not in page.text.split("<script")[0]


@pytest.mark.parametrize("attack", ["garbage signature", "another key", "no signature"])
def test_a_bad_or_missing_signature_on_a_unit_label_is_a_possible_counterfeit(
    world: tuple[TestClient, Season, Path], attack: str
) -> None:
    client, season, _ = world
    path = _label(world, "000002", sign=attack != "no signature")
    if attack == "garbage signature":
        path = path.split("?s=")[0] + "?s=" + "7" * 155
    elif attack == "another key":
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        forged = sign_link(
            DigitalLink(RESOLVER, season.gtin, lot=season.released, serial="000002"),
            Ed25519PrivateKey.generate(),
        )
        path = forged.uri.removeprefix(RESOLVER)
    answer = client.get(path, headers=JSON).json()
    assert answer["status"] == "counterfeit", answer["label"]
    assert answer["label"]["reason"]
    code = "no_signature" if attack == "no signature" else "bad_signature"
    assert answer["label"]["code"] == code
    page = client.get(path + ("&" if "?" in path else "?") + "lang=zh").text
    assert "可能是假冒标签" in page
    # The reason in Chinese: not the English of the JSON (e.g. "label signature: ...").
    said = "却没有合作社的签名" if attack == "no signature" else "与合作社的标签密钥不符"
    assert f'data-label="{code}">' in page
    assert said in page
    assert answer["label"]["reason"] not in page.split("<script")[0]  # (the checker's own words)


def test_a_lot_link_without_a_signature_is_unsigned_not_counterfeit(
    world: tuple[TestClient, Season, Path],
) -> None:
    client, season, _ = world
    answer = client.get(f"/01/{season.gtin}/10/{season.released}", headers=JSON).json()
    assert answer["status"] == "verified"
    assert answer["label"]["state"] == "unsigned"


def test_an_unusual_count_marks_the_serial_suspicious(
    world: tuple[TestClient, Season, Path],
) -> None:
    client = world[0]
    path = _label(world, "000003")
    for _ in range(SUSPICIOUS_SCANS):
        client.get(path, headers=JSON)
    answer = client.get(path, headers=JSON).json()
    assert answer["label"]["suspicious"] is True
    assert "scanned unusually often" in client.get(path + "&lang=en").text
    engine = client.app.state.ledger.engine  # type: ignore[attr-defined]
    assert [(s, c.count > SUSPICIOUS_SCANS) for _, s, c in suspicious_serials(engine)] == [
        ("000003", True)
    ]
    # The regulator sees it; a shopper cannot ask.
    assert client.get("/api/v1/labels/suspicious").status_code == 401
    listed = client.get("/api/v1/labels/suspicious", headers={"Authorization": f"Bearer {TOKEN}"})
    assert listed.status_code == 200
    assert [(x["serial"], x["scans"] > SUSPICIOUS_SCANS) for x in listed.json()["labels"]] == [
        ("000003", True)
    ]


def test_label_keys_follow_the_ledgers_key_rules_rotation_and_revocation(
    tmp_path: Path,
) -> None:
    """Only the ledger's label keys sign: a rotation keeps both valid, a revocation ends one."""
    keys = KeyFolder(tmp_path / "keys")
    root = keys.create("root")
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with Ledger.create(url, ORIGIN, root, keys.create_log_signer(ORIGIN)) as ledger:
        season = build_season(ledger, root, keys.create)
        lot = {"gtin": season.gtin, "lot": season.released}
        body = {
            "unit_id": "CASE-0609-09",
            "lots": [lot],
            "units": [{**lot, "serial": "000009"}],
            "site": "KS-PS1",
            "time": "2026-06-09T09:00:00+08:00",
        }
        Recorder(ledger).record(Packing.from_body(body), keys.load("packing-shed"))
        ledger.checkpoint()
    old, new = keys.create("label"), keys.create("label-2026")
    settings = Settings(
        db=url, keys=tmp_path / "keys", resolver=RESOLVER, demo=True, rate_burst=1000
    )
    link = DigitalLink(RESOLVER, season.gtin, lot=season.released, serial="000009")

    def scan(key: Any) -> Any:
        return client.get(sign_link(link, key).uri.removeprefix(RESOLVER), headers=JSON).json()

    with TestClient(create_app(settings)) as client:
        app_ledger: Ledger = client.app.state.ledger  # type: ignore[attr-defined]
        # A key file the ledger does not hold signs nothing.
        assert scan(old)["label"]["state"] == "not_checked"
        first = register_label_key(app_ledger, root, old.public_key(), "label printer")
        app_ledger.checkpoint()
        assert scan(old)["label"]["state"] == "signed"
        assert scan(new)["status"] == "counterfeit"
        # Rotation: the new key is registered; both are valid until the old one is revoked.
        second = register_label_key(app_ledger, root, new.public_key(), "label printer 2026")
        app_ledger.checkpoint()
        assert scan(new)["label"]["state"] == "signed"
        assert [k["index"] for k in scan(old)["proof"]["label"]["keys"]] == [first, second]
        revoke = revoke_body(key_id_for(old.public_key().public_bytes_raw()), "printer stolen")
        now = format_time(datetime.now(UTC))
        root_id = key_id_for(root.public_key().public_bytes_raw())
        app_ledger.append(
            sign_statement(Statement(app_ledger.origin, KEY_REVOKE, revoke, root_id, now), root)
        )
        app_ledger.checkpoint()
        assert scan(old)["status"] == "counterfeit"
        answer = scan(new)
        assert answer["label"]["state"] == "signed"
        assert [k["index"] for k in answer["proof"]["label"]["keys"]] == [second]


def test_a_scan_the_database_is_too_busy_to_count_is_still_answered(
    world: tuple[TestClient, Season, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The count is the regulator's signal, not the answer: a locked database costs the count."""
    from sqlalchemy.exc import OperationalError

    from traceability.projection import _scans

    def locked(*_: object) -> None:
        raise OperationalError("UPDATE trace_scans", {}, Exception("database is locked"))

    monkeypatch.setattr(_scans, "_count", locked)
    answer = world[0].get(_label(world, "000002"), headers=JSON)
    assert answer.status_code == 200, answer.text
    assert answer.json()["label"]["state"] == "signed"
    assert answer.json()["label"]["scans"] is None
