"""The tuned QR encoder makes the same symbols as ``qrcode`` and they decode."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labels._png import qr_image
from labels._qr import QREncoder, reference_qr
from tests.labels.conftest import decode_all


@given(
    data=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x9FFF), max_size=120),
    mask=st.integers(0, 7),
)
@settings(max_examples=25, deadline=None)
def test_matrices_equal_qrcode_reference(data: str, mask: int) -> None:
    code = QREncoder(mask=mask).encode(data)
    assert code.rows == reference_qr(data, code.version, mask)


@pytest.mark.parametrize("version", [1, 6, 10, 27])
def test_fixed_version_codes_decode(version: int) -> None:
    uri = "https://id.example.coop/01/06912345678902/10/KS-1/21/" + "9" * 40
    code = QREncoder(min_version=version).encode(uri)
    assert code.version == max(version, QREncoder().version_for(uri))
    assert decode_all(qr_image(code, 4)) == [uri]


def test_mask_is_chosen_once_per_job() -> None:
    encoder = QREncoder()
    first = encoder.encode("https://a.example/01/06912345678902/21/1")
    second = encoder.encode("https://a.example/01/06912345678902/21/2")
    assert first.mask == second.mask == encoder.mask


@given(
    head=st.text(alphabet="abc/?=-.", max_size=40),
    digits=st.text(alphabet="0123456789", min_size=0, max_size=300),
    version=st.sampled_from([1, 2, 6, 7, 10, 14, 21, 27, 33, 40]),
    mask=st.integers(0, 7),
)
@settings(max_examples=60, deadline=None)
def test_numeric_segments_and_every_layout_equal_the_reference(
    head: str, digits: str, version: int, mask: int
) -> None:
    # Digit runs of any length (numeric segments ending in groups of 1, 2 or 3 digits), at
    # versions with and without version information and alignment patterns.
    data = head + digits
    code = QREncoder(min_version=version, mask=mask).encode(data)
    assert code.rows == reference_qr(data, code.version, mask)
    width = (code.size + 7) // 8
    assert len(code.packed) == code.size * width
