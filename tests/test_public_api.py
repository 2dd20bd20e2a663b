"""Each package's public surface is pinned: a name added or removed is a deliberate change."""

import importlib

import pytest

PUBLIC = {
    "ledger": {
        "AppendConflictError",
        "CheckpointConflictError",
        "EncodingError",
        "KeyStateError",
        "LedgerError",
        "NoteError",
        "ProofError",
        "SignatureError",
        "StatementError",
        "StoreError",
        "Checkpoint",
        "open_checkpoint",
        "sign_checkpoint",
        "CosignatureVerifier",
        "Cosigner",
        "verify_cosignature",
        "Note",
        "NoteSignature",
        "NoteSigner",
        "NoteVerifier",
        "open_note",
        "parse_note",
        "sign_note",
    },
}


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_exported_names_are_pinned(package: str) -> None:
    module = importlib.import_module(package)
    assert set(module.__all__) == PUBLIC[package]
    for name in module.__all__:
        assert getattr(module, name).__doc__, f"{package}.{name} has no docstring"
