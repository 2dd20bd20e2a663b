"""A deployment file: several cooperatives' logs served by one server (docs/deployment.md).

The file is TOML. Each ``[[members]]`` table is one cooperative with its own log (database
URL), key folder and token file; ``[defaults]`` holds settings every member shares (any
:class:`~verifier_app.Settings` field, e.g. ``resolver``), a member's ``[members.settings]``
the ones that must differ. ``[deployment]`` names the county or alliance regulators' token
file for the views across logs. Relative paths (and relative SQLite files) are read from the
file's folder, so a data folder can be moved as a whole::

    [deployment]
    name = "疏附县农产品溯源平台"
    regulator_tokens = "county-tokens.toml"

    [defaults]
    resolver = "https://id.shufu.example"

    [[members]]
    slug = "kashgar"
    name = "喀什果农合作社"
    db = "postgresql+psycopg://agritrace@db1.shufu.example/kashgar"
    keys = "kashgar/keys"
    tokens = "kashgar/tokens.toml"

Loading checks everything before anything is opened and raises :class:`DeploymentError`
naming the file, the member, the field, what was expected and what came. Member settings are
built from the file alone: an ``AGRITRACE_*`` variable of the environment never leaks into a
member (one member's token file must not become every member's).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from verifier_app._settings import Settings

__all__ = [
    "MEMBER_FIELDS",
    "SLUG",
    "Deployment",
    "DeploymentError",
    "Member",
    "load_deployment",
    "member_settings",
    "with_run_files",
]

#: A member's slug: its path segment (``/c/<slug>/``); lower-case letters, digits, '-'.
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
#: The fields a member table holds itself (everything else goes in its ``settings``).
MEMBER_FIELDS = ("slug", "name", "db", "keys", "tokens", "settings")
_TOP = ("deployment", "defaults", "members")
_DEPLOYMENT_FIELDS = ("name", "regulator_tokens")
# Settings that name a path: read relative to the deployment file's folder.
_PATH_SETTINGS = frozenset(
    name
    for name, field in Settings.model_fields.items()
    if "Path" in str(field.annotation) and name not in ("keys", "tokens")
)
# The fields a member must not share with another: one log, one key folder, one token file,
# one session folder each (sessions and tokens are per cooperative: staff isolation).
_OWN = ("db", "keys", "tokens", "sessions")


class DeploymentError(ValueError):
    """The deployment file is unreadable or wrong; the message names file, member and field.

    Attributes:
        file: The deployment file.
        where: ``members[1] (kashgar).tokens`` style: which table and field.
    """

    def __init__(self, file: Path, where: str, message: str) -> None:
        super().__init__(f"{file}: {where}: {message}" if where else f"{file}: {message}")
        self.file = file
        self.where = where


@dataclass(frozen=True)
class Member:
    """One cooperative of a deployment.

    Attributes:
        slug: Its path segment: its pages live under ``/c/<slug>/``.
        name: The name the landing page shows until its ledger names the cooperative.
        settings: The settings its app is built with (:func:`verifier_app.create_app`).
    """

    slug: str
    name: str
    settings: Settings


@dataclass(frozen=True)
class Deployment:
    """A loaded deployment file.

    Attributes:
        file: Where it was read from.
        name: The deployment's display name (a county platform, an alliance), or None.
        members: The cooperatives, in file order (at least one).
        regulator_tokens: The county/alliance regulators' token file (views across logs),
            or None when there is none.
    """

    file: Path
    name: str | None
    members: tuple[Member, ...]
    regulator_tokens: Path | None

    def member(self, slug: str) -> Member:
        """Return the member ``slug`` (raises ``KeyError`` naming the known slugs)."""
        for member in self.members:
            if member.slug == slug:
                return member
        known = ", ".join(m.slug for m in self.members)
        raise KeyError(f"no member {slug!r} in {self.file} (members: {known})")


class _FileSettings(Settings):
    """Settings built from given values only: no ``AGRITRACE_*`` variable is read."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def member_settings(values: Mapping[str, Any]) -> Settings:
    """Build one member's settings from ``values`` alone (the environment is not read).

    Raises:
        pydantic.ValidationError: a value is wrong (the caller names the member).
        InsecureSettingsError: the settings would be insecure outside demo mode.
    """
    return _FileSettings(**values)


def load_deployment(path: Path, *, demo: bool = False) -> Deployment:
    """Read and check the deployment file ``path``; open nothing.

    Args:
        path: The TOML file.
        demo: Run every member in demo mode (``agritrace serve --demo``), as if
            ``[defaults]`` said ``demo = true``.

    Raises:
        DeploymentError: the file is missing or malformed, a member is wrong (its settings
            refused, as ``agritrace serve`` would refuse them), or two members share a slug,
            a database, a key folder, a token file or a session folder.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise DeploymentError(path, "", f"cannot read the deployment file: {e.strerror}") from e
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise DeploymentError(path, "", f"not valid TOML: {e}") from e
    _only(path, "", data, _TOP)
    head = _table(path, "deployment", data.get("deployment", {}))
    _only(path, "deployment", head, _DEPLOYMENT_FIELDS)
    name = _text(path, "deployment.name", head.get("name"), required=False)
    folder = path.parent
    tokens_text = _text(
        path, "deployment.regulator_tokens", head.get("regulator_tokens"), required=False
    )
    regulator_tokens = None if tokens_text is None else _path(folder, tokens_text)
    if regulator_tokens is not None and not regulator_tokens.is_file():
        raise DeploymentError(
            path, "deployment.regulator_tokens", f"expected a token file, got {tokens_text!r}"
        )
    defaults = dict(_table(path, "defaults", data.get("defaults", {})))
    for owned in ("db", "keys", "tokens", "sessions"):
        if owned in defaults:
            raise DeploymentError(
                path, f"defaults.{owned}", "expected in each member's table, not shared"
            )
    if demo:
        defaults["demo"] = True
    entries = data.get("members")
    if not isinstance(entries, list) or not entries:
        raise DeploymentError(path, "members", "expected at least one [[members]] table, got none")
    members = tuple(
        _member(path, i, _table(path, f"members[{i}]", entry), defaults)
        for i, entry in enumerate(entries)
    )
    _distinct(path, members)
    return Deployment(path, name, members, regulator_tokens)


def with_run_files(deployment: Deployment, port: int) -> Deployment:
    """Give each member the files its server's workers share, as ``agritrace serve`` does.

    A member whose file sets none gets ``run/rate-<port>.buckets`` (one rate budget per
    address across workers), ``run/drift-<port>.json`` (one drift checker) and
    ``run/audits-<port>`` (audits polled on any worker) next to its key folder: the same
    files a single cooperative's ``serve`` uses, so they are its own.
    """
    members = []
    for member in deployment.members:
        s = member.settings
        run = s.keys.parent / "run"
        update: dict[str, Any] = {}
        if s.rate_file is None:
            update["rate_file"] = run / f"rate-{port}.buckets"
        if s.drift_state_file is None:
            update["drift_state_file"] = run / f"drift-{port}.json"
        if s.audit_folder is None:
            update["audit_folder"] = run / f"audits-{port}"
        members.append(Member(member.slug, member.name, s.model_copy(update=update)))
    return Deployment(deployment.file, deployment.name, tuple(members), deployment.regulator_tokens)


def _member(path: Path, index: int, entry: Mapping[str, Any], defaults: dict[str, Any]) -> Member:
    where = f"members[{index}]"
    slug = _required(path, f"{where}.slug", entry.get("slug"))
    if not SLUG.fullmatch(slug):
        raise DeploymentError(
            path,
            f"{where}.slug",
            f"expected 1-32 lower-case letters, digits or '-' (a path segment), got {slug!r}",
        )
    where = f"{where} ({slug})"
    _only(path, where, entry, MEMBER_FIELDS)
    name = _text(path, f"{where}.name", entry.get("name"), required=False) or slug
    extra = dict(_table(path, f"{where}.settings", entry.get("settings", {})))
    for own in ("db", "keys", "tokens"):
        if own in extra:
            raise DeploymentError(
                path, f"{where}.settings.{own}", f"expected {own!r} in the member's own table"
            )
    folder = path.parent
    values: dict[str, Any] = {**defaults, **extra}
    for key in list(values):
        if key in _PATH_SETTINGS and isinstance(values[key], str):
            values[key] = _path(folder, values[key])
    values["db"] = _database(folder, _required(path, f"{where}.db", entry.get("db")))
    values["keys"] = _path(folder, _required(path, f"{where}.keys", entry.get("keys")))
    tokens = _text(path, f"{where}.tokens", entry.get("tokens"), required=False)
    if tokens is not None:
        values["tokens"] = _path(folder, tokens)
    try:
        settings = member_settings(values)
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        # The settings name environment variables; in this file the fields are named.
        message = re.sub(r"AGRITRACE_([A-Z_]+)", lambda m: m.group(1).lower(), message)
        if not field:
            place = where
        elif field in ("db", "keys", "tokens"):
            place = f"{where}.{field}"
        else:
            place = f"{where}.settings.{field}"
        raise DeploymentError(path, place, message) from e
    except ValueError as e:  # InsecureSettingsError and the validators' own refusals
        raise DeploymentError(path, where, str(e)) from e
    return Member(slug, name, settings)


def _distinct(path: Path, members: tuple[Member, ...]) -> None:
    seen: dict[tuple[str, str], str] = {}
    for member in members:
        s = member.settings
        owned = {
            "slug": member.slug,
            "db": s.db,
            "keys": str(s.keys.resolve()),
            "tokens": None if s.tokens is None else str(s.tokens.resolve()),
            "sessions": str(s.session_folder().resolve()),
        }
        for field, value in owned.items():
            if value is None:
                continue
            other = seen.get((field, value))
            if other is not None:
                raise DeploymentError(
                    path,
                    f"members ({member.slug}).{field}",
                    f"expected its own {field}, got the one of member {other!r}: {value}",
                )
            seen[(field, value)] = member.slug


def _database(folder: Path, url: str) -> str:
    """A relative SQLite file is read from the deployment file's folder, like its paths."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/"):
        rest = url.removeprefix(prefix)
        file, sep, query = rest.partition("?")
        return f"{prefix}{(folder / file).resolve()}{sep}{query}"
    return url


def _path(folder: Path, text: str) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else (folder / path).resolve()


def _table(path: Path, where: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise DeploymentError(path, where, f"expected a table, got {value!r}")
    return value


def _text(path: Path, where: str, value: object, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise DeploymentError(path, where, f"expected a non-empty string, got {value!r}")
    return value


def _required(path: Path, where: str, value: object) -> str:
    text = _text(path, where, value)
    if text is None:  # _text refuses a missing required value; this is for the types
        raise DeploymentError(path, where, "expected a non-empty string, got None")
    return text


def _only(path: Path, where: str, table: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for key in table:
        if key not in allowed:
            place = f"{where}.{key}" if where else key
            raise DeploymentError(
                path, place, f"expected one of {', '.join(allowed)}, got an unknown field"
            )
