"""The consumer's side: the GS1 Digital Link resolver for the codes on the labels.

``GET /01/<gtin>[/22/<cpv>][/10/<lot>][/21/<serial>]`` is parsed with
:func:`labels.parse_digital_link` (bad syntax: 400 with the reason), then the lot is looked
up through the app's :class:`~verifier_app.LotLookup`. The answer is negotiated:

* ``?linkType=linkset`` (or ``all``), or ``Accept: application/linkset+json``: the RFC 9264
  linkset of the links this resolver offers for the code (GS1-Conformant Resolver);
* ``Accept: application/json``: the data as JSON;
* anything else (a phone's browser): the verification page, in the visitor's language.

An unknown code is answered with status 404 in every form ("possible counterfeit"): a
resolver must not answer 200 for an error condition. Every route here is rate limited per
client IP.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from labels import DigitalLink, parse_digital_link
from ledger import Ledger
from traceability import (
    CertificateCheck,
    DecisionView,
    TraceError,
    count_scan,
    issued_serials,
    label_keys,
)
from verifier_app._deps import SettingsDep
from verifier_app._drift import vouched
from verifier_app._i18n import LANGUAGES, MESSAGES, Language
from verifier_app._limits import rate_limited
from verifier_app._negotiate import LINKSET, Representation
from verifier_app._pages import render_page
from verifier_app._settings import Settings
from verifier_app.consumer._check import Verification, check_lot
from verifier_app.consumer._label import LabelCheck, check_label
from verifier_app.consumer._lookup import LotLookup, LotView
from verifier_app.consumer._proofs import (
    ProofBundle,
    lab_proof,
    label_proof,
    page_proof_json,
    page_scripts,
    proof_bundle,
)
from verifier_app.consumer._provenance import entry_facts, fact_entries
from verifier_app.consumer._scan_cache import (
    BUILT,
    Answer,
    AnswerCache,
    LogVersion,
    answer_key,
    respond,
    today,
)
from verifier_app.consumer._scan_fast import is_scan_path
from verifier_app.consumer._story import tell

__all__ = ["GS1_VOC", "LINKSET_CONTEXT", "router"]

#: The GS1 Web Vocabulary namespace; link types are written ``gs1:<term>`` for short.
GS1_VOC = "https://gs1.org/voc/"
#: The GS1-Conformant Resolver linkset JSON-LD context (standard 1.2.0 artefacts; "latest"
#: URL, unchanged since 1.0.0): linkset answers point at it in a ``Link`` header so a
#: client can read the JSON as JSON-LD.
LINKSET_CONTEXT = "https://ref.gs1.org/standards/resolver/linkset-context"
_CONTEXT_LINK = (
    f'<{LINKSET_CONTEXT}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
)

router = APIRouter(tags=["consumer"], dependencies=[Depends(rate_limited)])


def _with_query(uri: str, query: str) -> str:
    # A link's URI may already carry data attributes as a query (?17=261231).
    return f"{uri}{'&' if '?' in uri else '?'}{query}"


def _linkset(link: DigitalLink, lot: LotView | None) -> dict[str, Any]:
    anchor = link.unsigned_uri
    page = [
        {
            "href": _with_query(anchor, f"lang={language}"),
            "title": MESSAGES[language]["site"],
            "type": "text/html",
            "hreflang": [language],
        }
        for language in LANGUAGES
    ]
    data = {"href": anchor, "title": "JSON", "type": "application/json"}
    links: dict[str, Any] = {
        "anchor": anchor,
        f"{GS1_VOC}defaultLink": [page[0]],
        f"{GS1_VOC}pip": page,
        f"{GS1_VOC}verificationService": [data],
    }
    if lot is not None:
        links[f"{GS1_VOC}traceability"] = [data]
        if lot.status == "recalled":
            # The JSON answer's ``status`` says "recalled"; the page's banner says it too.
            recall = data | {"title": "Recall status: recalled"}
            links[f"{GS1_VOC}recallStatus"] = [recall]
    return {"linkset": [links]}


class LinkOut(BaseModel):
    """The scanned Digital Link as parsed: its canonical URI and GS1 data."""

    uri: str
    gtin: str
    lot: str | None
    serial: str | None
    element_string: str


class EntryRef(BaseModel):
    """A ledger entry a fact comes from, and where to fetch its inclusion proof."""

    seq: int
    inclusion_proof: str


class FactOut(BaseModel):
    """One fact as a value, and the ledger entries it is derived from."""

    value: Any
    entries: list[int]


class ScannedLotOut(BaseModel):
    """What the cooperative's ledger says about the lot.

    ``facts`` is the wording the page shows; ``claims`` the same facts as values, each
    naming its entries (docs/trust.md), which a client re-derives from the entries' bodies.
    ``missing_stages``: cold-chain stages its profile requires that it has no record of
    (``precool``: "no pre-cooling record"); such a lot is not cold-chain compliant.
    """

    product: str
    facts: dict[str, str]
    entries: list[EntryRef]
    claims: dict[str, FactOut] = {}
    missing_stages: list[str] = []


class CertificateOut(BaseModel):
    """The certificate a scanned link names (``?cert=N``), checked against the ledger.

    ``state`` is ``valid`` (entry ``number`` is a certificate issued for this lot, which is
    still for sale), ``withdrawn`` (issued, but the lot has since been held, recalled or
    used up: ``reason`` says how) or ``invalid`` (no such certificate for this lot, or no
    such lot); ``code`` is the reason as a code. ``entry`` and ``inclusion_proof`` point at
    the certificate's entry when it exists; it is among the lot's ``entries``.
    """

    number: int
    state: Literal["valid", "withdrawn", "invalid"]
    code: str
    reason: str
    issued: str | None = None
    issuer: str | None = None
    entry: int | None = None
    inclusion_proof: str | None = None

    @classmethod
    def of(cls, check: CertificateCheck) -> CertificateOut:
        """From the domain's check."""
        exists = check.state != "invalid"
        return cls(
            number=check.number,
            state=check.state,
            code=check.code,
            reason=check.reason,
            issued=check.issued,
            issuer=check.issuer,
            entry=check.number if exists else None,
            inclusion_proof=f"/api/v1/log/proof/inclusion?seq={check.number}" if exists else None,
        )


class VerificationOut(BaseModel):
    """The server's own check: ``verified``, ``unproven`` (with why) or ``mismatch``."""

    state: Literal["verified", "unproven", "mismatch"]
    reason: str
    mismatches: list[dict[str, Any]]
    #: ``checked``: the status agrees with the signed lot-status map (no entry it rests on
    #: was left out); ``not_checked``: the checkpoint does not end with a map.
    omission: Literal["checked", "not_checked"] = "not_checked"


Status = Literal[
    "unknown",
    "verified",
    "unverified",
    "on_hold",
    "recalled",
    "unproven",
    "not_verified",
    "counterfeit",
]


class LabelOut(BaseModel):
    """The label check: ``signed``, ``unsigned``, ``counterfeit`` (with why) or ``not_checked``.

    ``scans`` and ``since``: how often this serial's label has been scanned and since when
    (issued serials only); ``suspicious``: more scans than one unit plausibly sees.
    """

    state: Literal["signed", "unsigned", "counterfeit", "not_checked"]
    reason: str
    #: The reason as a code (``never_issued``, ``bad_signature``, ``no_signature``, ``no_key``,
    #: ``unsigned``; ``signed`` when it holds), as the page words it in its language.
    code: str = "signed"
    scans: int | None = None
    since: str | None = None
    suspicious: bool = False

    @classmethod
    def of(cls, check: LabelCheck) -> LabelOut:
        """From the label check."""
        scans = check.scans
        return cls(
            state=check.state,
            reason=check.reason,
            code=check.code,
            scans=None if scans is None else scans.count,
            since=None if scans is None else scans.since.date().isoformat(),
            suspicious=scans is not None and scans.suspicious,
        )


def scan_status(lot: LotView | None, check: Verification | None) -> Status:
    """The answer's one-word status: ``verified`` only for a released lot proven here.

    A lot on hold or recalled keeps that word even unproven (a warning needs no proof to be
    heeded); facts that disagree with the entries make any lot ``not_verified``.
    """
    if lot is None:
        return "unknown"
    if check is not None and check.state == "mismatch":
        return "not_verified"
    if lot.status == "verified" and (check is None or check.state != "verified"):
        return "unproven"
    return lot.status


class DecisionOut(BaseModel):
    """A regulator's decision on a complaint about the lot (or a lot it was made from)."""

    entry: int
    complaint: int
    gtin: str
    lot: str
    action: str
    rule: str
    reason: str
    decided_by: str
    time: str
    #: The hold or recall entry that carried it out.
    action_entry: int | None

    @classmethod
    def of(cls, d: DecisionView) -> DecisionOut:
        """Build from the domain's view."""
        return cls(
            entry=d.seq,
            complaint=d.complaint,
            gtin=d.gtin,
            lot=d.lot,
            action=d.action,
            rule=d.rule,
            reason=d.reason,
            decided_by=d.actor,
            time=d.time,
            action_entry=d.action_seq,
        )


class ScanAnswer(BaseModel):
    """The JSON answer to a scan; ``status`` is ``unknown`` for a possible counterfeit.

    ``status`` is ``verified`` only when a signed checkpoint covers every entry the facts
    rest on and each fact agrees with what the entries give (``verification``);
    ``lot_status`` is the lot's lifecycle status as the projection has it. ``proof`` holds
    what a client needs to check the facts itself: the signed checkpoint, the log key, each
    entry's leaf bytes and inclusion proof. The shape is documented in docs/trust.md.
    """

    status: Status
    lot_status: str | None = None
    label: LabelOut | None = None
    certificate: CertificateOut | None = None
    verification: VerificationOut | None = None
    link: LinkOut
    lot: ScannedLotOut | None
    checkpoint: str
    proof: ProofBundle | None = None
    #: The regulator's decisions on complaints that apply to the lot (their entries are
    #: among ``lot.entries``), and where to report a problem with it.
    decisions: list[DecisionOut] = []
    report: str | None = None

    @classmethod
    def of(
        cls,
        link: DigitalLink,
        lot: LotView | None,
        proof: ProofBundle | None = None,
        check: Verification | None = None,
        label: LabelCheck | None = None,
        certificate: CertificateCheck | None = None,
    ) -> ScanAnswer:
        """Build from the parsed link, the lookup's answer and the server's check of it.

        An invalid certificate makes the answer ``counterfeit``, as a counterfeit label does.
        """
        lot_out = None
        if lot is not None:
            derived = {} if check is None or check.derived is None else check.derived
            lot_out = ScannedLotOut(
                product=lot.product,
                facts=dict(lot.facts),
                entries=[
                    EntryRef(seq=seq, inclusion_proof=f"/api/v1/log/proof/inclusion?seq={seq}")
                    for seq in lot.entries
                ],
                claims={
                    name: FactOut(
                        value=value,
                        entries=list(derived[name].entries) if name in derived else [],
                    )
                    for name, value in lot.claims.items()
                },
                missing_stages=list(lot.missing_stages),
            )
        counterfeit = (label is not None and label.state == "counterfeit") or (
            certificate is not None and certificate.state == "invalid"
        )
        return cls(
            status="counterfeit" if counterfeit else scan_status(lot, check),
            label=None if label is None else LabelOut.of(label),
            certificate=None if certificate is None else CertificateOut.of(certificate),
            lot_status=None if lot is None else str(lot.claims.get("status", lot.status)),
            verification=None
            if check is None
            else VerificationOut(
                state=check.state,
                reason=check.reason,
                mismatches=list(check.mismatches),
                omission=check.omission,
            ),
            link=LinkOut(
                uri=link.unsigned_uri,
                gtin=link.gtin,
                lot=link.lot,
                serial=link.serial,
                element_string=link.element_string,
            ),
            lot=lot_out,
            checkpoint="/api/v1/log/checkpoint",
            proof=proof,
        )


class LinkTypeNamespace(BaseModel):
    """A link type namespace the resolver recognises, and its CURIE prefix."""

    namespace: str
    prefix: str


class ResolverContact(BaseModel):
    """Who runs the resolver, as the description file's ``contact`` (vCard-style names)."""

    fn: str
    url: str


class ResolverDescription(BaseModel):
    """The resolver description file's members (names as the GS1 schema spells them)."""

    name: str
    resolverRoot: str
    supportedPrimaryKeys: list[str]
    supportedLinkType: list[LinkTypeNamespace]
    linkTypeDefaultCanBeLinkset: bool
    supportedContextValuesEnumerated: list[str]
    jsonLdContextLocation: str
    contact: ResolverContact


def _compute(
    request: Request, form: Representation, language: Language, day: date | None = None
) -> Answer:
    """Build the answer from the ledger (blocking: lookup, proofs, rendering)."""
    state = request.app.state
    settings: Settings = state.settings
    lookup: LotLookup = state.lot_lookup
    ledger: Ledger = state.ledger
    # The raw path keeps percent-escapes (a lot may hold "/" as %2F), as the label printed it.
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    # A trailing slash (a hand-typed or re-encoded URI) names the same code: same answer.
    path = raw_path.decode("latin-1").rstrip("/")
    query = request.url.query
    uri = settings.resolver.rstrip("/") + path + (f"?{query}" if query else "")
    link = parse_digital_link(uri)
    lot = vouched(lookup(link), state)  # never "verified" while the projection drifts
    label = None if lot is None else _check_label(request, form, link)
    certificate = _certificate(link, lot)
    counterfeit = (label is not None and label.state == "counterfeit") or (
        certificate is not None and certificate.state == "invalid"
    )
    status_code = 404 if lot is None or counterfeit else 200
    linkset_url = _with_query(link.unsigned_uri, "linkType=linkset")
    headers = {
        "Link": f'<{linkset_url}>; rel="linkset"; type="{LINKSET}"',
        "Vary": "Accept, Accept-Language",
    }
    if form == "linkset":
        headers["Link"] += f", {_CONTEXT_LINK}"
        return Answer.build(status_code, LINKSET, _json(_linkset(link, lot)), headers)
    proof = None
    if lot is not None and lot.entries:
        about = None if link.lot is None else (link.gtin, link.lot)
        proof = proof_bundle(ledger, lot.entries, state.witnesses, lot=about)
    check = None
    if lot is not None and link.lot is not None:
        check = check_lot(ledger, link.gtin, link.lot, lot, proof)
        if proof is not None:
            # What the browser re-derives from the entries and compares (static/facts.js).
            update: dict[str, Any] = {"gtin": link.gtin, "lot": link.lot, "facts": dict(lot.claims)}
            if form == "json":
                # For `agritrace verify` (the regulator's key in its trust file); the page's
                # in-browser check leans on the regulator witness's cosignature instead, so
                # the page does not carry these bytes.
                labs = state.recorder.projection.labs()
                update["labs"] = lab_proof(ledger, labs, lot.entries, proof.size)
            proof = proof.model_copy(update=update)
            if link.serial is not None or link.signature is not None:
                # The phone checks the label too, with the label keys the log holds (at the
                # checkpoint: a key valid there, proven in its tree).
                keys = [k.seq for k in label_keys(ledger, proof.size)]
                update = {"label": label_proof(ledger, link, keys, proof.size)}
                proof = proof.model_copy(update=update)
    decisions = [] if lot is None or counterfeit else _decisions(state, link)
    report_url = None if lot is None else _report_url(link, language)
    if form == "json":
        answer = ScanAnswer.of(link, lot, proof, check, label, certificate)
        answer = answer.model_copy(
            update={"decisions": [DecisionOut.of(d) for d in decisions], "report": report_url}
        )
        body = _json(answer.model_dump())
        return Answer.build(status_code, "application/json", body, headers)
    shown = None if counterfeit else lot
    story = None
    if shown is not None:
        story = tell(shown.claims, shown.status, language, day or today())
    page = render_page(
        "lot.html",
        language,
        {
            "here": path,
            "status": "counterfeit" if counterfeit else "unknown" if lot is None else lot.status,
            "link": link,
            "lot": shown,
            # The checked facts told from field to shelf (None: the lookup tells none).
            "story": story,
            "check": check,
            # Each fact's entries (``data-entries``, which the browser's check compares) and
            # each entry's facts, said in the proof list.
            "entries_of": fact_entries(None if check is None else check.derived),
            "facts_of": entry_facts(None if check is None else check.derived, language),
            "label": label,
            "certificate": certificate,
            # Which named witnesses cosigned the checkpoint, and when (how fresh it is).
            "bundle": None if counterfeit else proof,
            # The browser checks only an answer the server could prove itself: otherwise
            # it says why not (grey), never "do not trust" for a proof that cannot exist yet.
            # In a JSON script element ("<" escaped so no string can close it): an attribute
            # would spell every quote as &#34; and nearly double the page.
            "proof": None
            if proof is None or check is None or check.state == "unproven"
            else page_proof_json(proof),
            "scripts": page_scripts(),
            # The regulator's decisions on complaints about the lot, and "report a problem".
            "decisions": decisions,
            "report_url": report_url,
        },
    )
    headers["Content-Language"] = language
    return Answer.build(status_code, "text/html; charset=utf-8", page.encode(), headers)


def _decisions(state: Any, link: DigitalLink) -> list[DecisionView]:
    """The regulator's decisions that apply to the scanned lot (none for a custom lookup)."""
    if link.lot is None:
        return []
    try:
        decisions: list[DecisionView] = state.recorder.projection.decisions(link.gtin, link.lot)
    except TraceError:
        return []  # a lookup other than the projection's knows lots the projection does not
    return decisions


def _report_url(link: DigitalLink, language: Language) -> str | None:
    """Where the "report a problem" link of a scanned lot goes (the scanned unit named)."""
    if link.lot is None:
        return None
    serial = f"&serial={quote(link.serial)}" if link.serial else ""
    return f"/report/01/{link.gtin}/10/{quote(link.lot, safe='')}?lang={language}{serial}"


def _certificate(link: DigitalLink, lot: LotView | None) -> CertificateCheck | None:
    """The certificate the link names, as the lookup checked it; invalid for an unknown lot."""
    if link.certificate is None:
        return None
    if lot is None or lot.certificate is None:
        # No such lot here (or a lookup that checks no certificates): nothing vouches for it.
        why = "no such lot on this ledger" if lot is None else "certificates are not checked here"
        return CertificateCheck(int(link.certificate), "invalid", why, "unknown_lot")
    return lot.certificate


def _check_label(request: Request, form: Representation, link: DigitalLink) -> LabelCheck:
    """Check the scanned label; count the scan of an issued serial (never a HEAD request)."""
    state = request.app.state
    ledger: Ledger = state.ledger
    # A plain lot link needs no key: the key entries are replayed only for a label's scan.
    labelled = link.serial is not None or link.signature is not None
    keys = [k.verifier() for k in label_keys(ledger)] if labelled else []
    issued = None
    if link.serial is not None and link.lot is not None:
        issued = issued_serials(ledger, link.gtin, link.lot)
    label = check_label(link, keys, issued)
    counting = not state.settings.read_only  # a read-only server cannot write the count
    if (
        link.serial is not None
        and label.state != "counterfeit"
        and request.method == "GET"
        and counting
    ):
        now = datetime.now(UTC)
        # None when the database was too busy to take the count: the answer goes out without.
        label = replace(label, scans=count_scan(ledger.engine, link.gtin, link.serial, now))
    return label


def _json(content: Any) -> bytes:
    # Rendered exactly as JSONResponse renders (compact, UTF-8), once per cached answer.
    return bytes(JSONResponse(content).body)


async def _resolve(request: Request) -> Response:
    """Answer from the cache when the log has not changed since; else build and keep it.

    At most the log's head row is read on the way to a cached answer (see
    :mod:`verifier_app.consumer._scan_cache`); a miss builds the answer in the thread pool.
    """
    state = request.app.state
    log: LogVersion = state.log_version
    version = await log.current(run_in_threadpool)
    key = answer_key(request, version)
    _, _, form, language, _, day = key
    if form != "linkset" and is_scan_path(request.url.path) and "/21/" in request.url.path:
        # A unit's answer counts its scan and shows the count: built afresh every time.
        request.scope[BUILT] = True
        answer = await run_in_threadpool(_compute, request, form, language)

        return respond(answer, request)

    def build() -> Answer:
        # Marked only for the request that builds: the others waiting for it, and later
        # replays, are answered from the kept bytes (the fast path's surcharge goes by this).
        request.scope[BUILT] = True
        return _compute(request, form, language, date.fromisoformat(day))

    cache: AnswerCache = state.scan_answers
    answer = await cache.get_or_compute(key, build, run_in_threadpool)
    return respond(answer, request)


_METHODS = ["GET", "HEAD"]
_SCAN_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": ScanAnswer, "description": "a known lot (page, JSON or linkset)"},
    400: {"description": "the URI breaks the GS1 Digital Link syntax"},
    404: {"model": ScanAnswer, "description": "unknown code: possible counterfeit"},
}


# HEAD is required of a GS1-Conformant resolver; it is left out of the OpenAPI schema only
# because one operation id per path is allowed there.
@router.get("/01/{gtin}/10/{lot}", responses=_SCAN_RESPONSES)
@router.head("/01/{gtin}/10/{lot}", include_in_schema=False)
async def resolve_lot(request: Request) -> Response:
    """Resolve a lot's Digital Link: the verification page, its data as JSON, or a linkset."""
    return await _resolve(request)


@router.get("/01/{gtin}/10/{lot}/21/{serial}", responses=_SCAN_RESPONSES)
@router.head("/01/{gtin}/10/{lot}/21/{serial}", include_in_schema=False)
async def resolve_serial(request: Request) -> Response:
    """Resolve a unit's Digital Link (lot and serial), as for a lot."""
    return await _resolve(request)


# Every other GTIN-keyed form (GTIN alone, CPV, a lot holding "/" as %2F, which the router
# sees decoded): the parser decides whether it is valid.
@router.api_route("/01/{gtin}", methods=_METHODS, include_in_schema=False)
async def resolve_gtin(request: Request) -> Response:
    """Resolve a GTIN alone."""
    return await _resolve(request)


@router.api_route("/01/{gtin}/{qualifiers:path}", methods=_METHODS, include_in_schema=False)
async def resolve_other(request: Request) -> Response:
    """Resolve any other path under /01/."""
    return await _resolve(request)


@router.options("/01/{gtin}/{qualifiers:path}", include_in_schema=False)
@router.options("/01/{gtin}", include_in_schema=False)
@router.options("/.well-known/gs1resolver", include_in_schema=False)
def options() -> Response:
    """Answer OPTIONS (required of a GS1-Conformant resolver) with the methods allowed.

    A CORS preflight (with ``Origin`` and ``Access-Control-Request-Method``) is answered by
    the CORS middleware before it gets here.
    """
    return Response(status_code=204, headers={"Allow": "GET, HEAD, OPTIONS"})


@router.get("/.well-known/gs1resolver")
@router.head("/.well-known/gs1resolver", include_in_schema=False)
def resolver_description(settings: SettingsDep) -> ResolverDescription:
    """The resolver description file (GS1-Conformant Resolver, well-known location)."""
    root = settings.resolver.rstrip("/")
    return ResolverDescription(
        name="agritrace verifier",
        resolverRoot=root,
        supportedPrimaryKeys=["01"],
        supportedLinkType=[LinkTypeNamespace(namespace=GS1_VOC, prefix="gs1:")],
        linkTypeDefaultCanBeLinkset=False,
        supportedContextValuesEnumerated=[],
        jsonLdContextLocation=LINKSET_CONTEXT,
        contact=ResolverContact(fn="agritrace verifier", url=root),
    )
