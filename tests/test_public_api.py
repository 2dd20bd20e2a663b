"""Each package's public surface is pinned: a name added or removed is a deliberate change."""

import importlib

import pytest

PUBLIC = {
    "labels": {
        "Certificate",
        "DigitalLink",
        "FontMissingError",
        "FontSet",
        "GS1SyntaxError",
        "LabelData",
        "LabelError",
        "LabelSignatureError",
        "Layout",
        "LayoutError",
        "gs1_check_digit",
        "load_private_key",
        "load_public_key",
        "normalize_gtin",
        "parse_digital_link",
        "render_certificate",
        "render_pdf",
        "render_png",
        "render_zpl",
        "sign_link",
        "validate_lot",
        "validate_serial",
        "verify_link",
    },
    "ledger": {
        "KEY_REGISTER",
        "KEY_REVOKE",
        "MAX_BODY_BYTES",
        "AuditFailure",
        "AuditReport",
        "Checkpoint",
        "CheckpointConflictError",
        "CosignatureVerifier",
        "Cosigner",
        "EncodingError",
        "KeyFolder",
        "KeyInfo",
        "KeyStateError",
        "Ledger",
        "LedgerError",
        "Note",
        "NoteError",
        "NoteSignature",
        "NoteSigner",
        "NoteVerifier",
        "ProofError",
        "Receipt",
        "Record",
        "SignatureError",
        "SignedStatement",
        "Statement",
        "StatementError",
        "StoreError",
        "audit",
        "canonical_bytes",
        "format_time",
        "key_id_for",
        "leaf_hash",
        "open_checkpoint",
        "open_note",
        "parse_note",
        "parse_time",
        "register_body",
        "revoke_body",
        "root_from_inclusion_proof",
        "sign_checkpoint",
        "sign_note",
        "sign_statement",
        "verify_consistency",
        "verify_cosignature",
        "verify_inclusion",
    },
}


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_exported_names_are_pinned(package: str) -> None:
    module = importlib.import_module(package)
    assert set(module.__all__) == PUBLIC[package]
    for name in module.__all__:
        assert getattr(module, name).__doc__, f"{package}.{name} has no docstring"
