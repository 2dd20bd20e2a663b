"""Enrol a lab: its own key signs ``trace.lab``, a regulator's key approves it.

A helper for set-up code (the demo, tests, a county platform enrolling a lab with the
regulator at the same desk): in the field the lab signs its enrolment on its own machine
and sends it as a signed statement (``agritrace record --signed``, ``POST
/api/v1/statements``), and the regulator approves it from its own key. Why two signatures:
docs/adr/0020-independent-labs-and-sampling-plans.md.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import key_id_for
from traceability._recorder import Recorder
from traceability.events._sampling import LabApproval, LabEnrolment

__all__ = ["enrol_lab"]


def enrol_lab(
    recorder: Recorder,
    lab_key: Ed25519PrivateKey,
    regulator_key: Ed25519PrivateKey,
    *,
    lab: str,
    name: str,
    accreditation: str,
    at: datetime | None = None,
) -> str:
    """Record ``lab``'s enrolment signed by ``lab_key`` and its approval by a regulator.

    Both keys must be registered already (``lab_key`` with the ``lab`` role only,
    ``regulator_key`` with ``regulator``). Returns the lab key's id.

    Raises:
        RoleError: a key lacks its role, or the lab key has other roles too.
        ValidationError: the key is enrolled already, or the lab was enrolled under
            another name or accreditation.
    """
    when = at or datetime.now(UTC)
    key_id = key_id_for(lab_key.public_key().public_bytes_raw())
    enrolment = LabEnrolment(lab=lab, name=name, accreditation=accreditation, time=when)
    recorder.record(enrolment, lab_key, at=when)
    recorder.record(LabApproval(lab=lab, key_id=key_id, time=when), regulator_key, at=when)
    return key_id
