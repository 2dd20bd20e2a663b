"""``create_app(settings)``: the composition of the app from its settings.

Everything the routes use is built here once and kept on ``app.state``: the ledger, the
token table, the witness keys, the audit jobs, the rate limiter and the lot lookup. The
routers are one per audience; errors are mapped in :mod:`verifier_app._errors`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ledger import (
    CheckpointCheck,
    CosignatureVerifier,
    Cosigner,
    KeyFolder,
    Ledger,
    LedgerError,
    LogWitness,
    NoteSigner,
    NoteVerifier,
    WitnessStateFile,
    http_fetch,
)
from traceability import (
    DomainMirror,
    StatusMapWitnessCheck,
    projection_exists,
    seal_with_status_map,
)
from verifier_app import _feed as feed
from verifier_app import _sign_in as session
from verifier_app import tiles
from verifier_app._auth import TokenTable
from verifier_app._cosigned import watch_cosignatures
from verifier_app._drift import DriftMonitor
from verifier_app._drift_share import CheckerLock
from verifier_app._errors import install_error_handlers
from verifier_app._headers import SecurityHeaders, content_security_policy
from verifier_app._limits import AuthLimits, BodySizeLimit, PathLengthLimit, RateLimiter
from verifier_app._mirroring import MirrorFollower, ReadOnly
from verifier_app._read_only import ReadOnlyDatabase
from verifier_app._session_store import SessionStore
from verifier_app._settings import Settings
from verifier_app._shared_buckets import SharedRateLimiter
from verifier_app._signing import AppRecorder
from verifier_app._stopping import StopSignals
from verifier_app._webhook import AlertWebhook
from verifier_app._witnessing import WitnessSubmitter
from verifier_app.consumer import _report as complaints
from verifier_app.consumer import _routes as consumer
from verifier_app.consumer import _static as consumer_static
from verifier_app.consumer._domain_lookup import TraceLookup
from verifier_app.consumer._lookup import LotLookup
from verifier_app.consumer._proofs import page_scripts
from verifier_app.consumer._scan_cache import AnswerCache, LogVersion
from verifier_app.consumer._scan_fast import ScanFastPath
from verifier_app.regulator import _api as regulator
from verifier_app.regulator import _complaints as regulator_complaints
from verifier_app.regulator import _dashboard as regulator_dashboard
from verifier_app.regulator import _labels as regulator_labels
from verifier_app.regulator import _pages as regulator_pages
from verifier_app.regulator import _reports as reports
from verifier_app.regulator import _trace as regulator_trace
from verifier_app.regulator._audits import AuditJobs
from verifier_app.staff import _certificates as staff_certificates
from verifier_app.staff import _dashboard as staff_dashboard
from verifier_app.staff import _events_api as events
from verifier_app.staff import _lab as staff_lab
from verifier_app.staff import _labels as staff_labels
from verifier_app.staff import _pages as staff
from verifier_app.staff import _statements_api as statements
from verifier_app.witness import witness_router

__all__ = ["TILES_PREFIX", "WITNESS_PREFIX", "create_app", "create_app_from_env"]

#: Where the log's tiles are served: ``<prefix>/checkpoint``, ``<prefix>/tile/...``.
TILES_PREFIX = "/log"
#: The witness's submission prefix when the server is one: ``<prefix>/add-checkpoint``.
WITNESS_PREFIX = "/witness"

_log = logging.getLogger("verifier_app")

# Scan answers kept per worker: a page with its gzip form is ~37 KB, so ~900 pages.
SCAN_CACHE_BYTES = 32 * 1024 * 1024


def _log_signer(settings: Settings) -> NoteSigner | None:
    folder = KeyFolder(settings.keys)
    return folder.log_signer() if folder.exists("log") else None


def _log_witness(settings: Settings) -> LogWitness:
    """The witness the settings describe: its key, the logs it follows, its state file."""
    key_file, state_folder = settings.witness_key, settings.witness_state
    if key_file is None or state_folder is None:
        raise ValueError("serving as a witness needs AGRITRACE_WITNESS_KEY and _STATE")
    key = KeyFolder(key_file.parent).load(key_file.stem)
    logs: dict[str, list[NoteVerifier]] = {}
    for text in settings.witness_logs:
        verifier = NoteVerifier.from_key_string(text)
        logs.setdefault(verifier.name, []).append(verifier)
    state = WitnessStateFile(state_folder / "witness-state.json")
    checks: dict[str, CheckpointCheck] = {}
    for origin, tiles_url in settings.witness_follow.items():
        # The witness follows the log as a mirror and recomputes its lot-status map.
        # A readable file name, so an operator can catch a large log up beforehand with
        # `agritrace mirror URL --db sqlite:///<state>/mirrors/<name>.db` (docs/trust.md).
        name = _file_name(origin)
        folder = state_folder / "mirrors"
        folder.mkdir(parents=True, exist_ok=True)
        mirror = DomainMirror.open(
            f"sqlite:///{folder / (name + '.db')}",
            logs[origin][0],
            http_fetch(tiles_url),
            folder / name,
        )
        checks[origin] = StatusMapWitnessCheck(mirror, settings.regulator_public_keys())
    for origin in logs.keys() - checks.keys():
        _log.warning(
            "witness: %s is cosigned on signature and consistency alone; set "
            "AGRITRACE_WITNESS_FOLLOW to recompute its lot-status map before cosigning",
            origin,
        )
    return LogWitness(Cosigner(str(settings.witness_name), key), logs, state, checks=checks)


def _file_name(origin: str) -> str:
    """``origin`` as a file name: letters, digits, '.' and '-' kept, anything else '_'."""
    return re.sub(r"[^A-Za-z0-9.-]", "_", origin).strip(".") or "log"


async def _publish_checkpoints(ledger: Ledger, settings: Settings) -> None:
    """Sign a checkpoint every interval if the log grew, so the last appends get covered.

    Appends sign one when the last is older than the interval; this covers the appends of
    a burst that ended before then. Several workers may race: the ledger publishes by
    compare-and-swap, so they cannot publish two different checkpoints of one size.
    """
    while True:
        await asyncio.sleep(settings.checkpoint_seconds)
        try:
            await run_in_threadpool(ledger.checkpoint)
        except LedgerError as e:
            _log.error("could not publish a checkpoint: %s", e)


def create_app(settings: Settings, *, lot_lookup: LotLookup | None = None) -> FastAPI:
    """Build the app: open the ledger, load tokens and witness keys, mount the routers.

    Args:
        settings: How to run (see :class:`Settings`); already checked for insecure values.
        lot_lookup: How the resolver finds a scanned lot; default: the traceability
            projection (:class:`TraceLookup`), asked on every scan, so a lot recorded
            after start-up on a ledger that had none is found without a restart.

    Raises:
        ledger.LedgerError: the database has no ledger, or a witness key is malformed.
        TokenFileError: the token file cannot be read.
    """
    # A worker told to stop takes no one-per-server job over from another (_stopping.py).
    stop = StopSignals()
    mirror = None
    if settings.mirror_of is not None:
        # A read-only mirror: its own database, synced from the origin's tiles and replayed.
        mirror = DomainMirror.open(
            settings.db,
            NoteVerifier.from_key_string(str(settings.mirror_log_key)),
            http_fetch(settings.mirror_of),
            settings.mirror_folder(),
        )
    tokens = settings.token_table()
    if mirror is not None and settings.tokens is None and not settings.demo:
        tokens = TokenTable({})  # a mirror needs no token: the regulator's reads need one
    witnesses = {
        verifier.name: verifier
        for verifier in (CosignatureVerifier.from_key_string(k) for k in settings.witness_keys())
    }
    interval = timedelta(seconds=settings.checkpoint_seconds)
    follower = None
    if mirror is not None:
        ledger = mirror.ledger  # no log key: a mirror never signs
        lock = CheckerLock(settings.mirror_folder() / "sync.lock", stop.seen)
        follower = MirrorFollower(mirror, lock, settings.mirror_seconds)
    else:
        # Read-only (a streaming replica): no log key, so no checkpoint is ever signed here.
        signer = None if settings.read_only else _log_signer(settings)
        ledger = Ledger.open(settings.db, log_signer=signer, checkpoint_interval=interval)
    folder = KeyFolder(settings.keys)
    if ledger.log_signer is not None and folder.exists(settings.status_map_key):
        # Every checkpoint this server signs ends with the lot-status map (docs/trust.md).
        seal_with_status_map(ledger, folder.load(settings.status_map_key))
    audits = AuditJobs(ledger, shared=settings.audit_folder)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop.install()  # in front of uvicorn's handlers, which it installs before this runs
        mode = "production mode"
        if settings.demo:
            accepted = "demo tokens" if settings.tokens is None else f"tokens of {settings.tokens}"
            mode = f"DEMO mode ({accepted} accepted)"
        _log.info(
            "serving log %s (%d entries) in %s; %d token(s), %d witness(es)",
            ledger.origin,
            ledger.size(),
            mode,
            len(tokens.by_hash),
            len(witnesses),
        )
        publisher = None
        if ledger.log_signer is not None:
            publisher = asyncio.create_task(_publish_checkpoints(ledger, settings))
        asking = None
        if submitter is not None:
            asking = asyncio.create_task(submitter.run(settings.checkpoint_seconds))
        # A cosignature stored by another process reaches the kept answers too.
        cosigns = asyncio.create_task(
            watch_cosignatures(ledger, settings.checkpoint_seconds, drop_answers)
        )
        # Its scratch tables are writes: a read-only server leaves the check to the primary's.
        watcher = None
        if not settings.read_only:
            watcher = asyncio.create_task(drift.run(settings.drift_poll_seconds))
        following = None
        if follower is not None:
            following = asyncio.create_task(follower.run())
        telling = None
        if webhook is not None:
            telling = asyncio.create_task(webhook.run(settings.alert_webhook_seconds))
        # The dashboards' kept sums are built from nothing once per process (seconds at a
        # million entries): built now, in the background, a signed-in regulator's first
        # dashboard is as quick as every later one (docs/performance.md).
        warming = None
        if writable:
            warming = asyncio.create_task(_warm_dashboards(holder))
        # Kept where a test can wait for it: it reads the log while it runs.
        app.state.warming = warming
        try:
            yield
        finally:
            if following is not None and follower is not None:
                following.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await following
                follower.close()
            if warming is not None:
                warming.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await warming
            if telling is not None and webhook is not None:
                telling.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await telling
                webhook.close()
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            drift.close()
            cosigns.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await cosigns
            if asking is not None:
                asking.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await asking
            if publisher is not None:
                publisher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await publisher
            audits.close()
            ledger.close()
            stop.restore()

    app = FastAPI(
        title="agritrace verifier",
        summary="Consumer resolver, staff append API and regulator API of an agritrace ledger.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.ledger = ledger
    app.state.tokens = tokens
    app.state.witnesses = witnesses
    app.state.audits = audits
    app.state.mirror_follower = follower
    writable = mirror is None and not settings.read_only
    app.state.recorder = holder = AppRecorder(
        ledger, KeyFolder(settings.keys), read_only=settings.read_only
    )
    app.state.lot_lookup = lot_lookup or TraceLookup(ledger, holder)
    app.state.log_version = LogVersion(ledger, settings.scan_freshness_seconds)
    app.state.scan_answers = AnswerCache(SCAN_CACHE_BYTES)
    app.state.rate_limiter = (
        RateLimiter(settings.rate_per_second, settings.rate_burst)
        if settings.rate_file is None
        else SharedRateLimiter(settings.rate_file, settings.rate_per_second, settings.rate_burst)
    )
    # Complaints have their own, much smaller budget per address (docs/security.md).
    complaint_rate = settings.complaints_per_hour / 3600
    app.state.complaint_limiter = (
        RateLimiter(complaint_rate, settings.complaint_burst)
        if settings.rate_file is None
        else SharedRateLimiter(
            settings.rate_file.with_name(settings.rate_file.name + ".complaints"),
            complaint_rate,
            settings.complaint_burst,
        )
    )
    app.state.auth_limits = AuthLimits(
        settings.auth_failure_burst,
        settings.auth_failures_per_minute / 60,
        settings.api_rate_per_second,
        settings.api_burst,
        shared=settings.rate_file,  # one budget across the workers, as the resolver's
    )
    app.state.sessions = SessionStore(settings.session_folder())

    def drop_answers() -> None:
        # Answers are cached per log version; a drift verdict changes them without an append.
        app.state.scan_answers = AnswerCache(SCAN_CACHE_BYTES)

    if follower is not None:
        follower.on_change = drop_answers  # a cosignature taken later changes the answers
    app.state.drift = drift = DriftMonitor(
        ledger, settings.drift_full_seconds, drop_answers, settings.drift_state_file, stop.seen
    )
    # serve asks its witnesses (docs/trust.md); a cosignature changes the answers' checkpoint.
    submitter = None
    if settings.witness_urls and ledger.log_signer is not None:
        asked = {
            u: CosignatureVerifier.from_key_string(k) for u, k in settings.witness_urls.items()
        }
        submitter = WitnessSubmitter(ledger, asked, settings.witness_retry_seconds, drop_answers)
    app.state.witness_submitter = submitter
    # New alerts POSTed to the configured URL, by one worker (verifier_app/_webhook.py).
    webhook = None
    if settings.alert_webhook is not None and not settings.read_only:
        state_file = settings.alert_webhook_state or settings.keys.parent / "alert-webhook.json"
        webhook = AlertWebhook(holder, settings, state_file, stop.seen)
    app.state.alert_webhook = webhook

    install_error_handlers(app)
    app.include_router(consumer.router)
    app.include_router(consumer_static.router)
    if writable:
        app.include_router(statements.router)
    # The public log API (checkpoint, entries, proofs) and the tiles serve a mirror too.
    app.include_router(regulator.router)
    # The alert feeds are public reads: a mirror serves them too.
    app.include_router(feed.router)
    if writable:
        _mount_writers(app)
    elif settings.read_only:
        app.include_router(reports.router)  # published reports: public reads
    # The log as C2SP tlog-tiles, for mirrors, monitors and CDNs (docs/ledger.md).
    app.include_router(tiles.router, prefix=TILES_PREFIX)
    if settings.is_witness() and mirror is None:
        # This server is a witness too (a regulator's hub): C2SP tlog-witness add-checkpoint.
        app.include_router(witness_router(_log_witness(settings)), prefix=WITNESS_PREFIX)
    # Inside CORS, so a replayed scan gets the CORS headers from the same middleware.
    app.add_middleware(ScanFastPath, state=app.state)
    # Resolvers must support CORS (GS1-Conformant Resolver); no cookies are used, so any
    # origin may read, and tokens still have to be sent explicitly.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
        allow_headers=[
            "Authorization",
            "Content-Type",
            "Accept",
            "Accept-Language",
            "Idempotency-Key",
        ],
        expose_headers=["Link", "Retry-After", "Idempotent-Replayed"],
    )
    if settings.mirror_of is not None:
        # A mirror records nothing: every write is refused before any route sees it.
        app.add_middleware(ReadOnly, origin=settings.mirror_of)
    if settings.read_only:
        app.add_middleware(ReadOnlyDatabase)
    # Outermost, so an oversize body is refused before anything reads it.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    # A path no route could want is refused before the body is even read.
    app.add_middleware(PathLengthLimit)
    # Outside the body limit, so its 413 carries the headers too. The script hash is taken
    # from the text the consumer page inlines, so an edit of the script needs no edit here.
    policy = content_security_policy([page_scripts()])
    app.add_middleware(SecurityHeaders, policy=policy)
    if settings.forwarded_allow_ips:
        # Outermost: every layer within sees the client and scheme the proxy saw.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.forwarded_allow_ips))
    return app


async def _warm_dashboards(holder: AppRecorder) -> None:
    # Only over a domain's projection: opening one would create its tables in a log that
    # has none yet (and nothing to sum).
    if not await asyncio.to_thread(projection_exists, holder.ledger):
        return
    try:
        await asyncio.to_thread(holder.projection.monitoring)
    except Exception:  # a cache warm-up: the first dashboard read builds it instead
        _log.exception("building the dashboards' sums at start failed")


def _mount_writers(app: FastAPI) -> None:
    """Mount the routers that sign in, record or need a token: not on a mirror."""
    app.include_router(regulator_trace.router)
    app.include_router(regulator_labels.router)
    app.include_router(regulator_pages.router)
    app.include_router(regulator_dashboard.router)
    app.include_router(regulator_complaints.router)
    # A shopper's complaint from the scan page is a write (signed by the intake key).
    app.include_router(complaints.router)
    # Published quarterly evaluations: public, like the scan pages (no sign-in).
    app.include_router(reports.router)
    app.include_router(session.router)
    app.include_router(events.router)
    # Labels before the lot page: a lot code may hold "/", so the page's {lot:path} would
    # also match ".../labels".
    app.include_router(staff_labels.router)
    app.include_router(staff_certificates.router)
    # Before the staff pages, whose form routes take any one-segment name.
    app.include_router(staff_dashboard.router)
    app.include_router(staff_lab.router)
    app.include_router(staff.router)


def create_app_from_env() -> FastAPI:
    """Build the app from ``AGRITRACE_*`` environment variables (uvicorn's ``--factory``)."""
    return create_app(Settings())
