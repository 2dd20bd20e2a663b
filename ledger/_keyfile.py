"""Private keys on disk: one PEM file per key in a key folder, readable by its owner only.

A key folder holds ``root.pem`` (the cooperative's root key), ``log.pem`` with ``log.name``
(the log's checkpoint key and its note name) and one ``<name>.pem`` per actor key. Keys are
PKCS#8 PEM; set ``AGRITRACE_KEY_PASSPHRASE`` to encrypt them at rest.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger._errors import KeyStateError
from ledger._note import NoteSigner

__all__ = ["KeyFolder"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_PASSPHRASE_ENV = "AGRITRACE_KEY_PASSPHRASE"  # noqa: S105 (a variable name, not a secret)


class KeyFolder:
    """The private keys a machine holds, by name."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def _file(self, name: str) -> Path:
        if not _NAME.fullmatch(name):
            raise KeyStateError(
                f"key name: expected letters, digits, '.', '_' or '-' (at most 64), got {name!r}"
            )
        return self.path / f"{name}.pem"

    def exists(self, name: str) -> bool:
        """Whether a key of that name is in the folder."""
        return self._file(name).exists()

    def create(self, name: str) -> Ed25519PrivateKey:
        """Generate a new key and save it; refuse to overwrite an existing one."""
        path = self._file(name)
        if path.exists():
            raise KeyStateError(f"key {name!r} already exists at {path}; refusing to overwrite it")
        key = Ed25519PrivateKey.generate()
        self._write(path, key)
        return key

    def load(self, name: str) -> Ed25519PrivateKey:
        """Load a key by name."""
        path = self._file(name)
        try:
            data = path.read_bytes()
        except FileNotFoundError as e:
            known = ", ".join(sorted(p.stem for p in self.path.glob("*.pem"))) or "none"
            raise KeyStateError(f"no key {name!r} in {self.path} (keys there: {known})") from e
        passphrase = os.environ.get(_PASSPHRASE_ENV)
        try:
            key = serialization.load_pem_private_key(
                data, passphrase.encode() if passphrase else None
            )
        except (ValueError, TypeError) as e:
            raise KeyStateError(f"{path} is not a readable private key: {e}") from e
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyStateError(f"{path} is not an Ed25519 key")
        return key

    def promote_root(self, new: str, retired: str) -> None:
        """After a root rotation: keep ``root`` as ``retired``, then make ``new`` the root.

        Refuses to overwrite an existing key of the ``retired`` name; never leaves the folder
        without a root (the old one moves only after the new one is known to exist).
        """
        new_path, retired_path, root_path = self._file(new), self._file(retired), self._file("root")
        if not new_path.exists():
            raise KeyStateError(f"no key {new!r} in {self.path}")
        if retired_path.exists():
            raise KeyStateError(f"key {retired!r} already exists at {retired_path}")
        os.link(root_path, retired_path)  # the old root stays on disk under its new name
        os.replace(new_path, root_path)

    def create_log_signer(self, origin: str) -> NoteSigner:
        """Generate the log's checkpoint key, named for the log's origin."""
        key = self.create("log")
        (self.path / "log.name").write_text(origin + "\n", encoding="utf-8")
        return NoteSigner(origin, key)

    def log_signer(self) -> NoteSigner:
        """Load the log's checkpoint key."""
        key = self.load("log")
        try:
            name = (self.path / "log.name").read_text(encoding="utf-8").strip()
        except FileNotFoundError as e:
            raise KeyStateError(f"{self.path / 'log.name'} is missing") from e
        return NoteSigner(name, key)

    def _write(self, path: Path, key: Ed25519PrivateKey) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        passphrase = os.environ.get(_PASSPHRASE_ENV)
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase.encode())
            if passphrase
            else serialization.NoEncryption()
        )
        data = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
        # Created 0600 from the start: never a moment when others can read the key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
