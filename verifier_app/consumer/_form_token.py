"""The "report a problem" form's token: issued with the form, checked and spent on sending.

No account and no cookie: the token is ``<issued>.<nonce>.<mac>``, an HMAC-SHA256 over the
lot and the issue time with a secret every worker derives from the intake key in the key
folder (so any worker checks any worker's token, and a restart keeps them valid). A token
is good from ``min_age`` seconds after it was issued (a person reads and types; a script
posts at once) for :data:`TOKEN_LIFETIME`, for the lot it was issued for only, and once:
its nonce is the complaint's idempotency key, so a second send records nothing and gets the
first complaint's entry back.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from verifier_app._errors import ApiError

__all__ = ["TOKEN_LIFETIME", "FormTokenError", "FormTokens"]

#: How long a form may stay open on a phone before it is sent (seconds): long enough to
#: type on a bus, short enough that a harvested token is soon useless.
TOKEN_LIFETIME: Final = 2 * 3600
_TOKEN = re.compile(r"^(\d{1,12})\.([0-9a-f]{32})\.([0-9a-f]{64})$")


class FormTokenError(ApiError):
    """The form's token is missing, malformed, for another lot, too fresh or expired."""

    status = 400
    code = "bad_form_token"


class FormTokens:
    """Issue and check form tokens with a secret derived from the intake key."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        raw = key.private_bytes_raw()
        # A derived secret, never the signing key itself: HMAC keyed by a hash with a label.
        self._secret = hashlib.sha256(b"agritrace complaint form token v1\x00" + raw).digest()

    def _mac(self, gtin: str, lot: str, issued: int, nonce: str) -> str:
        message = f"{gtin}\x00{lot}\x00{issued}\x00{nonce}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def issue(self, gtin: str, lot: str, now: float) -> str:
        """Return a new token for the form of lot ``gtin``/``lot``."""
        issued, nonce = int(now), secrets.token_hex(16)
        return f"{issued}.{nonce}.{self._mac(gtin, lot, issued, nonce)}"

    def check(self, token: str, gtin: str, lot: str, now: float, min_age: float) -> str:
        """Return the token's nonce if it is good for this lot now, or raise.

        Raises:
            FormTokenError: malformed, not this server's or not for this lot, sent sooner
                than ``min_age`` seconds after the form was shown, or expired.
        """
        match = _TOKEN.fullmatch(token or "")
        if match is None:
            raise FormTokenError("token: expected the token of the form; reload the page", "token")
        issued, nonce, mac = int(match.group(1)), match.group(2), match.group(3)
        if not hmac.compare_digest(mac, self._mac(gtin, lot, issued, nonce)):
            raise FormTokenError("token: not a token of this form; reload the page", "token")
        age = now - issued
        if age < min_age:
            raise FormTokenError(
                f"token: sent {max(age, 0):.0f} s after the form was shown; "
                f"expected at least {min_age:.0f} s",
                "token",
            )
        if age > TOKEN_LIFETIME:
            raise FormTokenError("token: the form has expired; reload the page", "token")
        return nonce
