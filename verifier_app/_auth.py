"""Bearer tokens per actor, with roles; the role dependency every protected route uses.

The token file (TOML) holds only SHA-256 hashes of tokens, never the tokens::

    [[token]]
    sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    actor = "kashgar-lab"
    roles = ["lab"]
    key = "kashgar-lab"      # optional: the key (in the server's key folder) that signs
                             # events this caller records through the staff pages and API

Roles are the domain's (:class:`traceability.Role`: ``cooperative``, ``grower``,
``packing_station``, ``lab``, ``logistics``, ``regulator``), one vocabulary for keys and
tokens. ``packer``, the name token files used before, is still read as ``packing_station``
(deprecated; a warning names the file).

A request's token is hashed and looked up; the token itself is never stored or logged
(log lines name a caller by actor, or a refused token by a short fingerprint of its hash).
Consumers are anonymous and read-only: public routes take no token at all.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Final, Literal, get_args

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from traceability import Role as DomainRole
from verifier_app._errors import ForbiddenError, UnauthenticatedError
from verifier_app._limits import AuthLimits, client_address

__all__ = [
    "DEMO_TOKENS",
    "ROLES",
    "ROLE_ALIASES",
    "Caller",
    "Role",
    "TokenFileError",
    "TokenTable",
    "hash_token",
    "require_role",
]

#: A token's role, spelled as the domain spells it (so call sites are checked by mypy).
Role = Literal[
    "cooperative", "grower", "packing_station", "lab", "logistics", "regulator", "intake"
]
#: Every role a token may carry: the domain's roles. Consumers have none: they are anonymous.
ROLES: Final = frozenset(get_args(Role))
if frozenset(r.value for r in DomainRole) != ROLES:  # one vocabulary, or the app refuses to load
    raise ImportError(f"token roles {sorted(ROLES)} differ from the domain's {list(DomainRole)}")
#: Deprecated role names token files may still use -> the domain's name (docs/app.md).
ROLE_ALIASES: Final[Mapping[str, Role]] = {"packer": "packing_station"}

#: Well-known tokens for demo mode only (one per role). Published in the docs, so a token
#: file holding any of them is refused outside demo mode.
DEMO_TOKENS: Final[Mapping[str, tuple[str, Role]]] = {
    f"demo-{role}-token": (f"demo-{role}", role) for role in sorted(ROLES)
}

_HASH = re.compile(r"^[0-9a-f]{64}$")
_KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # as ledger.KeyFolder
_log = logging.getLogger("verifier_app.auth")


class TokenFileError(ValueError):
    """The token file is missing, unreadable, or holds an entry that is not valid."""


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest of a token: what the token file stores."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Caller:
    """An authenticated actor and the roles its token grants.

    Attributes:
        actor: The actor's name, as in the token file.
        roles: The roles the token grants.
        key: The name of the key in the server's key folder that signs the events this
            caller records through the app (staff on the packing shed's machine), or None
            when the caller signs its own statements (a lab with its own key).
    """

    actor: str
    roles: frozenset[str]
    key: str | None = None


@dataclass(frozen=True)
class TokenTable:
    """Token hashes mapped to callers. Construct with :meth:`load` or :meth:`demo`."""

    by_hash: Mapping[str, Caller]

    @classmethod
    def load(cls, path: Path) -> TokenTable:
        """Read a TOML token file.

        Raises:
            TokenFileError: the file cannot be read, an entry lacks a field, a hash is not
                64 lowercase hex digits, a role is unknown, or a hash appears twice.
        """
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise TokenFileError(f"token file {path}: {e}") from e
        entries = data.get("token", [])
        if not isinstance(entries, list):
            raise TokenFileError(f"token file {path}: expected [[token]] tables")
        table: dict[str, Caller] = {}
        for number, entry in enumerate(entries, start=1):
            where = f"token file {path}, token {number}"
            if not isinstance(entry, dict) or not (
                {"sha256", "actor", "roles"} <= set(entry) <= {"sha256", "actor", "roles", "key"}
            ):
                raise TokenFileError(
                    f"{where}: expected sha256, actor and roles (and optionally key)"
                )
            digest, actor, roles = entry["sha256"], entry["actor"], entry["roles"]
            key = entry.get("key")
            if key is not None and (not isinstance(key, str) or not _KEY_NAME.fullmatch(key)):
                raise TokenFileError(
                    f"{where}: key: expected a key name (letters, digits, '.', '_', '-'), "
                    f"got {key!r}"
                )
            if not isinstance(digest, str) or not _HASH.fullmatch(digest):
                raise TokenFileError(f"{where}: sha256: expected 64 lowercase hex digits")
            if not isinstance(actor, str) or not actor:
                raise TokenFileError(f"{where}: actor: expected a non-empty name")
            if isinstance(roles, list) and set(roles) & set(ROLE_ALIASES):
                _log.warning(
                    "%s: role names %s are deprecated; write %s",
                    where,
                    sorted(set(roles) & set(ROLE_ALIASES)),
                    sorted({ROLE_ALIASES[r] for r in roles if r in ROLE_ALIASES}),
                )
                roles = [ROLE_ALIASES.get(r, r) for r in roles]
            if not isinstance(roles, list) or not roles or not set(roles) <= ROLES:
                raise TokenFileError(
                    f"{where}: roles: expected a non-empty list from {sorted(ROLES)}, got {roles!r}"
                )
            if digest in table:
                raise TokenFileError(f"{where}: this hash is already given to another token")
            table[digest] = Caller(actor, frozenset(roles), key)
        return cls(table)

    @classmethod
    def demo(cls) -> TokenTable:
        """Return the demo tokens' table (see :data:`DEMO_TOKENS`)."""
        return cls(
            {
                hash_token(token): Caller(actor, frozenset({role}))
                for token, (actor, role) in DEMO_TOKENS.items()
            }
        )

    def holds_demo_tokens(self) -> bool:
        """Whether any published demo token would be accepted."""
        return any(hash_token(token) in self.by_hash for token in DEMO_TOKENS)

    def caller(self, token: str) -> Caller | None:
        """Return the caller a token belongs to, or None."""
        return self.by_hash.get(hash_token(token))


_bearer = HTTPBearer(auto_error=False, description="A token from the token file.")


def _tokens(request: Request) -> TokenTable:
    tokens: TokenTable = request.app.state.tokens
    return tokens


def authenticated_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """Return the caller named by the request's bearer token.

    Tokens are looked up by their SHA-256: what is compared is a hash an attacker cannot
    steer, so the lookup's timing says nothing about a token.

    Raises:
        UnauthenticatedError: no bearer token, or an unknown one.
        RateLimitedError: too many refused tokens from this address, or too many requests
            with this token or from this address (:class:`~verifier_app._limits.AuthLimits`).
    """
    if credentials is None:
        raise UnauthenticatedError("expected an 'Authorization: Bearer <token>' header")
    limits: AuthLimits = request.app.state.auth_limits
    address = client_address(request.scope)
    limits.check_address(address)
    caller = _tokens(request).caller(credentials.credentials)
    if caller is None:
        limits.failed(address)
        # A fingerprint of the hash identifies repeated attempts without revealing anything.
        fingerprint = hash_token(credentials.credentials)[:8]
        _log.warning("refused unknown token %s on %s", fingerprint, request.url.path)
        raise UnauthenticatedError("unknown token")
    limits.take(hash_token(credentials.credentials), address)
    return caller


def require_role(*roles: Role) -> Callable[[Caller], Caller]:
    """Return a dependency admitting only callers holding one of ``roles``.

    Use as ``caller: Annotated[Caller, Depends(require_role("regulator"))]``.
    """
    if not roles or not set(roles) <= ROLES:
        raise ValueError(f"expected roles from {sorted(ROLES)}, got {roles!r}")
    allowed = frozenset(roles)

    def dependency(caller: Annotated[Caller, Depends(authenticated_caller)]) -> Caller:
        if not caller.roles & allowed:
            raise ForbiddenError(
                f"expected a token with role {' or '.join(sorted(allowed))}; "
                f"{caller.actor} has {', '.join(sorted(caller.roles))}"
            )
        return caller

    return dependency
