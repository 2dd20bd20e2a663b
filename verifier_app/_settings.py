"""The app's settings: environment variables ``AGRITRACE_*``, refused when insecure.

Outside demo mode the settings refuse, with a message naming the variable to set: no token
file, a token file holding a published demo token, a resolver on plain ``http://``, and the
example resolver host. Demo mode (``AGRITRACE_DEMO=1``) accepts all of them and, without a
token file, serves the demo tokens.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Annotated, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger import CosignatureVerifier, LedgerError, NoteVerifier
from verifier_app._auth import TokenFileError, TokenTable

__all__ = ["EXAMPLE_RESOLVER", "InsecureSettingsError", "Settings"]

#: The labels package's default resolver: fine for a demo, wrong for real labels.
EXAMPLE_RESOLVER = "https://id.example.coop"


class InsecureSettingsError(ValueError):
    """The settings would run the app insecurely outside demo mode."""


class Settings(BaseSettings):
    """How the app runs. Every field is also an environment variable ``AGRITRACE_<NAME>``.

    Attributes:
        db: Ledger database URL (SQLite file or PostgreSQL), as ``agritrace ledger`` takes.
        keys: Key folder; its ``log`` key signs checkpoints after appends when present.
        resolver: Base URL the Digital Link codes point to (``https://`` outside demo).
        demo: Demo mode: accept insecure defaults and the published demo tokens.
        tokens: TOML file of token hashes, actors and roles (required outside demo).
        witnesses: Witness cosignature verifier keys (``name+hex+base64``) trusted to
            cosign checkpoints; ``AGRITRACE_WITNESSES`` takes a JSON list.
        witnesses_file: A text file of more witness keys, one per line (``agritrace demo``
            writes one for the regulator's witness); see :meth:`witness_keys`.
        witness_urls: The witnesses ``serve`` submits each checkpoint it publishes to
            (C2SP tlog-witness): submission prefix URL -> the witness's cosignature key
            (``name+hex+base64``), which is trusted too. ``AGRITRACE_WITNESS_URLS`` takes a
            JSON object. Submissions run in the background; a failure is logged and retried.
        witness_retry_seconds: How long a witness that failed is left before the next try.
        witness_name: Serve as a witness too: the cosigner name (C2SP tlog-cosignature).
        witness_key: The witness's Ed25519 private key file (PEM, as ``agritrace ledger
            keygen`` writes it); with ``witness_name``, ``witness_state`` and
            ``witness_logs`` it mounts ``POST /witness/add-checkpoint``.
        witness_state: The witness's state folder: the last checkpoint it cosigned per log
            (``witness-state.json``) and the refused submissions it keeps as evidence.
        witness_logs: The checkpoint verifier keys of the logs this witness follows (the
            key's name is the log's origin); ``AGRITRACE_WITNESS_LOGS`` takes a JSON list.
        witness_follow: The tiles URL of each followed log whose lot-status map the witness
            recomputes before cosigning: origin -> tiles prefix (e.g.
            ``https://coop.example/log``); ``AGRITRACE_WITNESS_FOLLOW`` takes a JSON object.
            The witness mirrors the log into ``<witness_state>/mirrors`` and replays it
            (``traceability.StatusMapWitnessCheck``); a log not named here is cosigned on
            its signature and consistency alone.
        witness_regulator_keys: The regulator's own Ed25519 public keys (base64 of the 32
            raw bytes): the witness refuses to cosign a followed log in which any other key
            holds the regulator role (the cooperative registers every key, so it could make
            a "regulator" to approve its own lab); ``AGRITRACE_WITNESS_REGULATOR_KEYS`` takes
            a JSON list. Needs ``witness_follow`` (the check reads the followed log).
        read_only: Serve a database this server cannot write, such as a PostgreSQL
            streaming replica of the cooperative's database (docs/deployment.md, "Read-only
            replicas"): consumer
            pages and JSON, proofs, tiles, the read-only log API, the alert feeds and the
            published reports are served from the replica's projection (the primary writes
            it in each append's transaction); no sign-in, no staff or regulator pages, every
            write refused (405), no checkpoint signed, no drift check (its scratch tables
            are writes; the primary's server checks the same rows), no alert webhook, scans
            not counted, no table created.
        mirror_of: Serve as a read-only mirror of the log at this tiles URL (e.g.
            ``https://coop.example/log``): the database is the mirror's own, kept in sync
            in the background and replayed into its projection; consumer pages and JSON,
            tiles and the read-only log API are served, no staff pages, no append API, no
            regulator API, and every write is refused (405).
        mirror_log_key: The mirrored log's checkpoint verifier key (``name+hex+base64``),
            obtained out of band; required with ``mirror_of``.
        mirror_state: The mirror's state folder (the sync in progress, fork evidence);
            default: ``mirror`` next to the key folder.
        mirror_seconds: How often the mirror syncs; after a failure it waits longer
            (doubling, up to five minutes) and resumes where it stopped.
        max_body_bytes: Largest request body accepted; larger ones get 413 unread.
        max_batch: Most signed statements in one append request.
        rate_per_second: Public resolver requests a client IP may make per second.
        rate_burst: Requests a client IP may make at once before the rate applies.
        rate_file: A file holding those buckets, memory-mapped by every worker so the limit
            is one across them (``agritrace serve`` names one in its run folder); None:
            each process keeps its own.
        checkpoint_seconds: How often a checkpoint is signed while the log grows (needs
            the log key in ``keys``).
        status_map_key: The key in ``keys`` (a registered cooperative key) that signs the
            ``trace.status_map`` entry ending each checkpoint; when the folder lacks it,
            checkpoints carry no map and pages say they were not checked for omissions.
        scan_freshness_seconds: How long the resolver reuses its read of the log's size
            before reading it again; an append (a recall, a hold) by another process shows
            on scans at most this much later, one through this process on the next scan.
            0 reads it on every scan.
        drift_full_seconds: The shortest interval between two full checks of the
            projection against a replay of the whole log (``verifier_app._drift``); a
            large log waits longer (20 times the last full check's duration), so full
            checks stay under 5% of a core. Between, each growth of the log gets an
            incremental check of the lots it touched.
        drift_poll_seconds: How often the drift monitor looks for a grown log (and a
            worker that does not check, for a new published state).
        drift_state_file: A file the workers share the drift state through: the one
            holding the lock ``<file>.lock`` checks and writes it, the others read it
            (``agritrace serve`` names one in its run folder); None: each process checks
            on its own.
        audit_folder: A folder the workers share audit jobs through, a file each, so an
            audit's progress can be polled on any worker (``agritrace serve`` names
            ``run/audits-<port>``); None: a job is known to the process that runs it.
        sessions: Folder of the server-side sessions (created 0700); default: a
            ``sessions`` folder next to the key folder.
        api_rate_per_second: Requests per second one token, and one address, may make with
            a token (API and sign-in).
        api_burst: Requests a token (and an address) may make at once.
        auth_failure_burst: Refused tokens or sign-ins an address may send in a row.
        auth_failures_per_minute: How many more it may try per minute after that.
        forwarded_allow_ips: Addresses of the reverse proxies whose ``X-Forwarded-For``
            and ``X-Forwarded-Proto`` are believed (the client's address for rate limits,
            HTTPS for HSTS and ``Secure`` cookies); empty: the headers are ignored.
            ``AGRITRACE_FORWARDED_ALLOW_IPS`` takes a JSON list, e.g. ``["127.0.0.1"]``.
        complaint_key: The key in ``keys`` (registered with role ``intake``) that signs the
            complaints the scan page's "report a problem" form receives; when the folder
            lacks it, the form says complaints are not taken here (docs/adr/0022).
        complaint_burst: Complaints an address may send at once.
        complaints_per_hour: How many more an address may send per hour after that.
        complaint_min_seconds: The least time between showing the form and sending it.
        alert_webhook: A URL the server POSTs each new alert to as JSON (holds, failed
            residue tests, cold-chain excursions, recalls, complaints, decisions, labels
            scanned unusually often); None: only the feeds (``/alerts.atom``, ``.json``).
        alert_webhook_state: The file holding which alerts were sent (and the lock that
            lets one worker send them); default: ``alert-webhook.json`` beside the keys.
        alert_webhook_seconds: How often new alerts are looked for and sent.
    """

    model_config = SettingsConfigDict(env_prefix="AGRITRACE_", frozen=True, extra="forbid")

    db: str = "sqlite:///agritrace-data/ledger.db"
    keys: Path = Path("agritrace-data/keys")
    resolver: str = EXAMPLE_RESOLVER
    demo: bool = False
    tokens: Path | None = None
    witnesses: tuple[str, ...] = ()
    witnesses_file: Path | None = None
    witness_urls: dict[str, str] = Field(default_factory=dict)
    # Half a minute: a witness across a patchy rural uplink is tried again soon, without
    # hammering one that is down.
    witness_retry_seconds: Annotated[float, Field(gt=0)] = 30.0
    witness_name: str | None = None
    witness_key: Path | None = None
    witness_state: Path | None = None
    witness_logs: tuple[str, ...] = ()
    witness_follow: dict[str, str] = Field(default_factory=dict)
    witness_regulator_keys: tuple[str, ...] = ()
    read_only: bool = False
    mirror_of: str | None = None
    mirror_log_key: str | None = None
    mirror_state: Path | None = None
    mirror_seconds: Annotated[float, Field(gt=0)] = 5.0
    # A batch of 1,000 statements of a few hundred bytes each fits in 1 MiB; one statement's
    # body may be 64 KiB (ledger.MAX_BODY_BYTES), so 4 MiB leaves room for big bodies too.
    max_body_bytes: Annotated[int, Field(ge=1024)] = 4 * 1024 * 1024
    max_batch: Annotated[int, Field(ge=1, le=10_000)] = 1000
    # Sized for a livestream: 10,000 viewers scanning within a minute from a few carrier
    # NAT addresses is ~3,000 scans per address in a wave; the burst takes the wave at once
    # and the rate refills it within the minute. A warm scan costs the fast path a cache
    # hit, so this much from one address is cheap to serve. One budget for all workers when
    # ``rate_file`` is set, as ``agritrace serve`` does (docs/security.md).
    rate_per_second: Annotated[float, Field(gt=0)] = 50.0
    rate_burst: Annotated[int, Field(ge=1)] = 3000
    rate_file: Path | None = None
    checkpoint_seconds: Annotated[float, Field(gt=0)] = 2.0
    status_map_key: str = "status-map"
    # Half a second: under load one read serves thousands of scans (a read per scan costs
    # the resolver about half its rate, docs/performance.md), and a recall still shows
    # within a fraction of the checkpoint interval. At most 5 s: a status must not lag.
    scan_freshness_seconds: Annotated[float, Field(ge=0, le=5)] = 0.5
    # Five minutes: a full replay of a large log takes a while and competes with scans on a
    # two-core box; edits of rows no append touches are found within this.
    drift_full_seconds: Annotated[float, Field(gt=0)] = 300.0
    drift_poll_seconds: Annotated[float, Field(gt=0)] = 2.0
    drift_state_file: Path | None = None
    audit_folder: Path | None = None
    sessions: Path | None = None
    # A lab uploading batches or a packer's form makes a few requests a second; 20/s with
    # a burst of 100 never slows them and still caps a leaked token.
    api_rate_per_second: Annotated[float, Field(gt=0)] = 20.0
    api_burst: Annotated[int, Field(ge=1)] = 100
    # A person mistyping a token tries a few times; a guesser gets 10 a minute.
    auth_failure_burst: Annotated[int, Field(ge=1)] = 10
    auth_failures_per_minute: Annotated[float, Field(gt=0)] = 10.0
    forwarded_allow_ips: tuple[str, ...] = ()
    complaint_key: str = "complaint-intake"
    # A shopper reports one problem, maybe two; five at once and one more every ten minutes
    # per address keeps a flood of fake complaints slow (one carrier NAT address may carry
    # many honest shoppers: the regulator still sees every complaint that came through).
    complaint_burst: Annotated[int, Field(ge=1)] = 5
    complaints_per_hour: Annotated[float, Field(gt=0)] = 6.0
    # A person reads the form and types; a script posts the instant it has the page.
    complaint_min_seconds: Annotated[float, Field(ge=0, le=60)] = 2.0
    alert_webhook: str | None = None
    alert_webhook_state: Path | None = None
    alert_webhook_seconds: Annotated[float, Field(gt=0)] = 10.0

    @field_validator("alert_webhook")
    @classmethod
    def _check_webhook(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"AGRITRACE_ALERT_WEBHOOK: expected an http(s) URL, got {url!r}")
        return url

    @field_validator("witnesses")
    @classmethod
    def _parse_witnesses(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        return _check_witness_keys(keys, "AGRITRACE_WITNESSES")

    @field_validator("witnesses_file")
    @classmethod
    def _read_witnesses_file(cls, path: Path | None) -> Path | None:
        if path is not None:
            try:
                keys = _file_keys(path)
            except OSError as e:
                raise ValueError(f"AGRITRACE_WITNESSES_FILE: {path}: {e.strerror}") from e
            _check_witness_keys(keys, f"AGRITRACE_WITNESSES_FILE: {path}")
        return path

    @field_validator("witness_urls")
    @classmethod
    def _parse_witness_urls(cls, urls: dict[str, str]) -> dict[str, str]:
        for url, key in urls.items():
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"AGRITRACE_WITNESS_URLS: expected an http(s) URL, got {url!r}")
            _check_witness_keys((key,), f"AGRITRACE_WITNESS_URLS: {url}")
        return urls

    @field_validator("witness_logs")
    @classmethod
    def _parse_witness_logs(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        for key in keys:
            try:
                NoteVerifier.from_key_string(key)
            except LedgerError as e:
                raise ValueError(f"AGRITRACE_WITNESS_LOGS: {key!r}: {e}") from e
        return keys

    @field_validator("witness_regulator_keys")
    @classmethod
    def _parse_regulator_keys(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        for key in keys:
            try:
                raw = base64.b64decode(key, validate=True)
            except binascii.Error:
                raw = b""
            if len(raw) != 32:
                raise ValueError(
                    f"AGRITRACE_WITNESS_REGULATOR_KEYS: {key!r}: expected the base64 of a "
                    "32-byte Ed25519 public key"
                )
        return keys

    def regulator_public_keys(self) -> frozenset[bytes]:
        """The regulator's pinned public keys, raw (see ``witness_regulator_keys``)."""
        return frozenset(base64.b64decode(k) for k in self.witness_regulator_keys)

    @field_validator("witness_follow")
    @classmethod
    def _parse_witness_follow(cls, urls: dict[str, str]) -> dict[str, str]:
        for origin, url in urls.items():
            if not url.startswith(("http://", "https://")):
                raise ValueError(
                    f"AGRITRACE_WITNESS_FOLLOW: {origin!r}: expected an http(s) tiles URL, "
                    f"got {url!r}"
                )
        return urls

    @field_validator("mirror_of")
    @classmethod
    def _parse_mirror_of(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"AGRITRACE_MIRROR_OF: expected an http(s) tiles URL, got {url!r}")
        return url

    @model_validator(mode="after")
    def _mirror_needs_its_key(self) -> Self:
        if self.mirror_of is None:
            return self
        if self.mirror_log_key is None:
            raise ValueError(
                "AGRITRACE_MIRROR_LOG_KEY: a mirror needs the log's checkpoint key "
                "(name+hex+base64), obtained out of band"
            )
        try:
            NoteVerifier.from_key_string(self.mirror_log_key)
        except LedgerError as e:
            raise ValueError(f"AGRITRACE_MIRROR_LOG_KEY: {e}") from e
        return self

    @model_validator(mode="after")
    def _regulator_keys_need_follow(self) -> Self:
        if self.witness_regulator_keys and not self.witness_follow:
            raise ValueError(
                "AGRITRACE_WITNESS_REGULATOR_KEYS: checked only on followed logs; set "
                "AGRITRACE_WITNESS_FOLLOW too"
            )
        return self

    @model_validator(mode="after")
    def _read_only_alone(self) -> Self:
        if self.read_only and self.mirror_of is not None:
            raise ValueError(
                "AGRITRACE_READ_ONLY with AGRITRACE_MIRROR_OF: a mirror writes its own "
                "database; choose one"
            )
        if self.read_only and self.is_witness():
            raise ValueError(
                "AGRITRACE_READ_ONLY with AGRITRACE_WITNESS_NAME: a witness keeps state; "
                "serve it from the primary's server"
            )
        return self

    @model_validator(mode="after")
    def _follow_only_witnessed_logs(self) -> Self:
        origins = {NoteVerifier.from_key_string(k).name for k in self.witness_logs}
        for origin in self.witness_follow:
            if origin not in origins:
                raise ValueError(
                    f"AGRITRACE_WITNESS_FOLLOW: {origin!r} is not the origin of a log in "
                    "AGRITRACE_WITNESS_LOGS"
                )
        return self

    @model_validator(mode="after")
    def _witness_all_or_none(self) -> Self:
        given = {
            "AGRITRACE_WITNESS_NAME": self.witness_name,
            "AGRITRACE_WITNESS_KEY": self.witness_key,
            "AGRITRACE_WITNESS_STATE": self.witness_state,
            "AGRITRACE_WITNESS_LOGS": self.witness_logs or None,
        }
        missing = [name for name, value in given.items() if value is None]
        if 0 < len(missing) < len(given):
            raise ValueError(f"serving as a witness needs {', '.join(missing)} too")
        return self

    def is_witness(self) -> bool:
        """Whether this server is configured to serve as a witness (``add-checkpoint``)."""
        return self.witness_key is not None

    def witness_keys(self) -> tuple[str, ...]:
        """Every trusted witness key: ``witnesses``, ``witnesses_file``'s, ``witness_urls``'."""
        extra = () if self.witnesses_file is None else _file_keys(self.witnesses_file)
        submitted = tuple(self.witness_urls.values())
        return tuple(dict.fromkeys(self.witnesses + extra + submitted))

    @model_validator(mode="after")
    def _refuse_insecure(self) -> Self:
        if (self.mirror_of is not None or self.read_only) and self.tokens is None:
            # A read-only mirror or replica accepts no token: it has nothing to sign in to.
            # The resolver URL is still checked: its pages must equal the origin's.
            return self._check_resolver()
        if self.demo:
            if self.tokens is not None:
                try:
                    TokenTable.load(self.tokens)
                except TokenFileError as e:
                    raise ValueError(f"AGRITRACE_TOKENS: {e}") from e
            return self
        if self.tokens is None:
            raise InsecureSettingsError(
                "AGRITRACE_TOKENS: no token file configured; set it to a TOML file of token "
                "hashes (or AGRITRACE_DEMO=1 for a demo)"
            )
        try:
            table = TokenTable.load(self.tokens)
        except TokenFileError as e:
            raise InsecureSettingsError(f"AGRITRACE_TOKENS: {e}") from e
        if not table.by_hash:
            raise InsecureSettingsError(f"AGRITRACE_TOKENS: {self.tokens} holds no tokens")
        if table.holds_demo_tokens():
            raise InsecureSettingsError(
                f"AGRITRACE_TOKENS: {self.tokens} accepts a published demo token; "
                "replace it with a random one"
            )
        return self._check_resolver()

    def _check_resolver(self) -> Self:
        if self.demo:
            return self
        if not self.resolver.startswith("https://"):
            raise InsecureSettingsError(
                f"AGRITRACE_RESOLVER: expected an https:// URL outside demo mode, "
                f"got {self.resolver!r}"
            )
        if self.resolver.rstrip("/") == EXAMPLE_RESOLVER:
            raise InsecureSettingsError(
                f"AGRITRACE_RESOLVER: still the example {EXAMPLE_RESOLVER}; set the "
                "cooperative's resolver host"
            )
        return self

    def is_mirror(self) -> bool:
        """Whether this server is a read-only mirror of another's log (``mirror_of``)."""
        return self.mirror_of is not None

    def mirror_folder(self) -> Path:
        """Return the mirror's state folder (:attr:`mirror_state` or next to the keys)."""
        return self.mirror_state if self.mirror_state is not None else self.keys.parent / "mirror"

    def session_folder(self) -> Path:
        """Return where the server-side sessions live (:attr:`sessions` or next to the keys)."""
        return self.sessions if self.sessions is not None else self.keys.parent / "sessions"

    def token_table(self) -> TokenTable:
        """Return the tokens the app accepts: the file's, or in demo mode the demo ones.

        Raises:
            TokenFileError: the token file is unreadable or malformed.
        """
        if self.tokens is not None:
            return TokenTable.load(self.tokens)
        return TokenTable.demo()


def _file_keys(path: Path) -> tuple[str, ...]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _check_witness_keys(keys: tuple[str, ...], where: str) -> tuple[str, ...]:
    for key in keys:
        try:
            CosignatureVerifier.from_key_string(key)
        except LedgerError as e:
            raise ValueError(f"{where}: {key!r}: {e}") from e
    return keys
