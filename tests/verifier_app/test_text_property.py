"""Arbitrary Unicode through every free-text field of the write API, on SQLite and PostgreSQL.

The fields are not listed here: :func:`~tests.verifier_app.free_text.free_text_fields` walks
every statement kind's model and finds them (53 in 22 kinds today), and each kind has a
:class:`~tests.verifier_app.text_scenarios.Scenario` that sends it through its route. For
each text, every field answers one of two ways:

- refused: a 4xx naming that field, exactly when the model refuses the value (and always
  when it holds a control, bidi or invisible character);
- recorded: 201, the ledger holds the value as the model normalised it (NFC, trimmed),
  and the lot it reaches renders on the staff and consumer pages and exports (EPCIS,
  FSMA 204).

Never a 500; and afterwards a fresh server starts over the same database, serves the pages
and ``reindex`` rebuilds the projection (one NUL used to brick PostgreSQL).
"""

from __future__ import annotations

import copy
import itertools
import unicodedata
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, cast
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from markupsafe import escape
from pydantic import BeforeValidator, TypeAdapter

from ledger import KEY_REGISTER, Statement, format_time, key_id_for, register_body, sign_statement
from tests.verifier_app.free_text import (
    KEY,
    MODELS,
    TEXT,
    FreeText,
    free_text_fields,
    get_path,
    set_path,
    string_fields,
)
from tests.verifier_app.staff_world import JAM, ORIGIN, STRAWBERRY, StaffWorld, build_staff_world
from tests.verifier_app.text_scenarios import EXTRA, SCENARIOS, Run, Scenario, Sent
from traceability import (
    MAX_CONTACT,
    PERMITTED,
    Hold,
    Product,
    Recall,
    Recorder,
    ValidationError,
    reindex,
)
from traceability._text import check_text, forbidden_character
from verifier_app import create_app

FIELDS = free_text_fields()
_HTML = {"Accept": "text/html"}
_LANGUAGES = ("zh", "ug", "en")
_COUNTER = itertools.count()

#: The public complaint's contact: kept off the ledger, under the same policy (120 points).
_CONTACT = FreeText(
    "trace.complaint",
    ("contact",),
    TypeAdapter(
        Annotated[
            str, BeforeValidator(lambda v: check_text(v.strip(), "contact", max_length=MAX_CONTACT))
        ]
    ),
)


def _fields_of(scenario: Scenario) -> list[FreeText]:
    if not scenario.paths:
        return [f for f in FIELDS if f.kind == scenario.kind]
    own = {f.path: f for f in FIELDS if f.kind == scenario.kind}
    return [own.get(path) or _CONTACT for path in scenario.paths]


ROUTES: list[tuple[Scenario, list[FreeText]]] = [
    (s, _fields_of(s)) for s in (*SCENARIOS.values(), *EXTRA)
]


# --- the walk finds the fields ---------------------------------------------------------


def test_the_walk_finds_every_free_text_field_and_no_code() -> None:
    labels = {f.label for f in FIELDS}
    # A sample of each kind of place a field sits: plain, optional, nested, in a tuple,
    # a dict's key, master data, rule tables, sampling, complaints.
    assert {
        "trace.harvest:variety",
        "trace.cooperative:name_ug",
        "trace.cooperative:phone",
        "trace.farm:grower_actor",
        "trace.site:business_name",
        "trace.product:name",
        "trace.input:active_substance",
        "trace.residue:results[0].substance",
        "trace.certificate:basis[0]",
        "trace.lab:name",
        "trace.sample:sampler",
        "trace.decision:rule",
        "trace.complaint:text",
        "trace.intake:source_log",
        "trace.profile:indicators[0].unit",
        "trace.profile:pre_harvest_interval_days (key)",
        "trace.mrl:rows[0].substance",
    } <= labels
    assert len(FIELDS) >= 50, sorted(labels)
    # Codes and ids are reached too, and are not free text: they have patterns of their own.
    reached = {f.label for f in string_fields()}
    codes = {"trace.harvest:plot", "trace.harvest:lot.lot", "trace.complaint:contact_sha256",
             "trace.grading:outputs[0].grade", "trace.lab:accreditation", "trace.farm:plots[0]",
             "trace.profile:commodity", "trace.profile:qualifications[0]",
             "trace.profile:processing_grades[0]", "trace.sample:analyses[0]",
             "trace.cooperative:gln", "trace.labels:serials[0]"}  # fmt: skip
    assert codes <= reached - labels


def test_every_kind_with_free_text_has_a_route_that_carries_every_field() -> None:
    # A new kind without a scenario fails here, and so does a new field the scenario's
    # body has no place for; every kind the domain permits has a model the walk reads.
    assert set(PERMITTED) <= set(MODELS)
    assert {f.kind for f in FIELDS} <= set(SCENARIOS)
    run = Run(cast("TestClient", None), cast("StaffWorld", None), n=1)  # bodies only
    for scenario, fields in ROUTES:
        body = scenario.body(run)
        for f in fields:
            assert get_path(body, f.path), f"{scenario.route} has no {f.label}"


@pytest.mark.parametrize("field", [*FIELDS, _CONTACT], ids=lambda f: f.label)
def test_every_free_text_field_refuses_control_bidi_and_invisible_characters(
    field: FreeText,
) -> None:
    # The policy on each field's own type, fast: a plain ``str`` field fails here first.
    for char in ("\x00", "\x1b", "\x85", "\u202e", "\u2066", "\u200f", "\u200b", "\ufeff",
                 "\U000e0041", "\ud800"):  # fmt: skip
        assert field.accepts(f"ab{char}cd") is None, repr(char)
    assert field.accepts("Cafe\u0301 草莓 ئا") == "Caf\u00e9 草莓 ئا"
    assert field.accepts("x" * 1001) is None


# --- the property, end to end ------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StaffWorld]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    built = build_staff_world(tmp_path, url=url)
    # The jam the processing scenario makes, and the intake key the public form signs with.
    coop = built.keys.load("coop-admin")
    Recorder(built.ledger).record(
        Product.from_body({"gtin": JAM, "commodity": "strawberry_jam", "name": "jam"}), coop
    )
    root = built.keys.load("root")
    intake = built.keys.create("complaint-intake").public_key().public_bytes_raw()
    when = format_time(datetime.now(UTC) - timedelta(days=30))
    root_id = key_id_for(root.public_key().public_bytes_raw())
    body = register_body(intake, "scan page", ["intake"])
    built.ledger.append(sign_statement(Statement(ORIGIN, KEY_REGISTER, body, root_id, when), root))
    yield built
    built.ledger.close()


def _named(sent: Sent, field: FreeText) -> bool:
    """Whether an error's field is ``field`` (the API prefixes ``body.``)."""
    name = (sent.field or "").removeprefix("body.")
    if field.path[-1] == KEY:  # a bad key is named by the dict and the key
        return name.startswith(field.name)
    return name == field.name


def _oracle(scenario: Scenario, body: dict[str, Any]) -> ValidationError | None:
    """The model's own verdict on the whole body (None: it takes it)."""
    kind = scenario.kind
    if scenario.paths:  # a route of its own: the event it records, built from its body
        lot = {"gtin": STRAWBERRY, "lot": "TP1"}
        now = datetime.now(UTC).isoformat()
        model: Any = {"trace.hold": Hold, "trace.recall": Recall}.get(kind)
        if model is None:
            event = {"lot": lot, "category": "spoiled", "text": body["text"], "language": "ug"}
            body, model = event | {"time": now}, MODELS[kind]
        else:
            body = {"lot": lot, "reason": body["reason"], "time": now}
    else:
        model = MODELS[kind]
    try:
        model.from_body(body)
    except ValidationError as e:
        return e
    return None


class Tally:
    """How often each field was refused and recorded, so no field goes untested."""

    def __init__(self) -> None:
        self.refused: Counter[str] = Counter()
        self.recorded: Counter[str] = Counter()
        self.lots: list[tuple[str, str]] = []  # the lots text reached, for after a restart


def _check_policy(field: FreeText, value: str) -> None:
    # What any field takes is NFC text without control, bidi or invisible characters.
    assert forbidden_character(value, multiline=True) is None, (field.label, value)
    assert unicodedata.normalize("NFC", value) == value, (field.label, value)


def _refuse(run: Run, scenario: Scenario, field: FreeText, text: str, tally: Tally) -> None:
    body = copy.deepcopy(scenario.body(run))
    set_path(body, field.path, text)
    sent = scenario.send(run, body)
    assert 400 <= sent.status < 500, f"{scenario.route} {field.label}: {sent.text}"
    assert _named(sent, field), f"{scenario.route} {field.label}: {sent.text}"
    tally.refused[f"{scenario.route} {field.label}"] += 1


def _record(run: Run, scenario: Scenario, fields: list[FreeText], text: str, tally: Tally) -> None:
    body = copy.deepcopy(scenario.body(run))
    for f in fields:
        set_path(body, f.path, text)
    refusal = _oracle(scenario, body)
    if refusal is not None:  # the whole body breaks a rule of the model (a tab in a log name)
        sent = scenario.send(run, body)
        assert 400 <= sent.status < 500, f"{scenario.route}: {sent.text}"
        assert (sent.field or "").removeprefix("body.") == refusal.field, sent.text
        for f in fields:
            tally.refused[f"{scenario.route} {f.label}"] += 1
        return
    if not scenario.always_before:
        scenario.before(run, {f.path: text for f in fields})
    body = copy.deepcopy(scenario.body(run))
    for f in fields:
        set_path(body, f.path, text)
    sent = scenario.send(run, body)
    assert sent.status in (200, 201), f"{scenario.route} {text!r}: {sent.text}"
    assert sent.seq is not None
    stored = run.world.ledger.entry(sent.seq).statement.body
    for f in fields:
        tally.recorded[f"{scenario.route} {f.label}"] += 1
        if f is _CONTACT:
            continue  # off the ledger: checked on the regulator's page below
        value = f.accepts(text)
        assert get_path(stored, f.path) == value, (f.label, text)
    scenario.after(run, body)
    _pages(run, scenario, sent, fields, text)
    tally.lots.append(scenario.lot(run))


def _pages(run: Run, scenario: Scenario, sent: Sent, fields: list[FreeText], text: str) -> None:
    """The lot the text reached renders (staff, consumer and regulator pages, the lineage
    drawing) and exports (EPCIS, FSMA 204); a contact shows on the regulator's page."""
    gtin, lot = scenario.lot(run)
    code = quote(lot, safe="")
    staff = _signed_in(run, "cooperative").get(f"/staff/lots/{gtin}/{code}", headers=_HTML)
    assert staff.status_code == 200, staff.text
    assert f"<h1><bdi>{escape(lot)}</bdi></h1>" in staff.text, "the lot's page, not sign-in"
    language = _LANGUAGES[run.n % 3]
    scan = run.client.get(f"/01/{gtin}/10/{code}?lang={language}", headers=_HTML)
    assert scan.status_code == 200, scan.text
    regulator = _signed_in(run, "regulator")
    traced = regulator.get("/regulator/trace", params={"gtin": gtin, "lot": lot}, headers=_HTML)
    assert traced.status_code == 200, traced.text
    auth = run.world.auth("regulator")
    drawn = run.client.get(f"/api/v1/lots/{gtin}/{code}/lineage.svg", headers=auth)
    assert drawn.status_code == 200, drawn.text
    for kind in ("epcis", "fsma204"):
        params = {"gtin": gtin, "lot": lot}
        exported = run.client.get(f"/api/v1/exports/{kind}", params=params, headers=auth)
        assert exported.status_code == 200, exported.text
    contact = _CONTACT.accepts(text) if _CONTACT in fields else None
    if contact:
        page = regulator.get(f"/regulator/complaints/{sent.seq}", headers=_HTML)
        assert page.status_code == 200, page.text
        assert str(escape(contact)) in page.text  # as the templates escape it


def _signed_in(run: Run, role: str) -> TestClient:
    """A browser of ``role``'s, signed in once (pages take a session, not a bearer token)."""
    found = run.browsers.get(role)
    if found is None:
        found = run.browsers[role] = TestClient(run.client.app)
        run.world.sign_in(found, role)
    return found


def _exercise(run: Run, text: str, tally: Tally) -> None:
    for scenario, fields in ROUTES:
        run.n = next(_COUNTER)
        run.lab_key = None
        if scenario.always_before:
            scenario.before(run, {})
        taking = []
        for f in fields:
            value = f.accepts(text)
            if value is not None:
                _check_policy(f, value)
            if value is None or (value != text and not scenario.normalises):
                _refuse(run, scenario, f, text, tally)
            else:
                taking.append(f)
        if taking:
            _record(run, scenario, taking, text, tally)


def test_any_text_in_any_free_text_field_is_a_4xx_or_a_stored_rendered_exported_value(
    world: StaffWorld,
) -> None:
    tally = Tally()
    options = {"api_burst": 1_000_000, "complaint_burst": 1_000_000,
               "complaints_per_hour": 1e9, "complaint_min_seconds": 0}  # fmt: skip
    with TestClient(create_app(world.settings(**options))) as client:

        @settings(
            max_examples=15,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        # Always: text every field takes, and each kind of refusal.
        @example(text="Caf\u00e9 草莓 ئاقسۇ\u200cيېزى \U0001f468\u200d\U0001f469 =1+1 <b>")
        @example(text="Cafe\u0301 \t")  # normalised where the server signs, refused elsewhere
        @example(text="e\u0301" * 150)  # 300 code points as sent, 150 once normalised
        @example(text="mould\x00found")
        @example(text="a\u202eb")
        @example(text="two\nlines")
        @example(text="草" * 201)
        @example(text="  ")
        @given(text=TEXT)
        def one(text: str) -> None:
            _exercise(run, text, tally)

        run = Run(client, world, 0)  # fresh ids per scenario (run.n), one set of browsers

        one()
        regulator = world.auth("regulator")
        for kind in ("epcis", "fsma204"):
            exported = client.get(f"/api/v1/exports/{kind}", headers=regulator)
            assert exported.status_code == 200, exported.text

    # Every field was both refused and recorded end to end at least once.
    for scenario, fields in ROUTES:
        for f in fields:
            label = f"{scenario.route} {f.label}"
            assert tally.refused[label], f"never refused: {label}"
            assert tally.recorded[label], f"never recorded: {label}"
    # A fresh server starts over whatever the ledger now holds, and serves its pages.
    with TestClient(create_app(world.settings())) as client:
        for gtin, lot in tally.lots[-len(ROUTES) :]:
            page = client.get(f"/01/{gtin}/10/{quote(lot, safe='')}?lang=ug", headers=_HTML)
            assert page.status_code == 200, page.text
    assert reindex(world.ledger) == world.ledger.size()
