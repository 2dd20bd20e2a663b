"""The app states no rule of its own: forms, next steps and route roles come from the domain.

Each check compares what the app offers with the domain's tables (the lifecycle and the
permission table), for every form, status and route, so a rule changed in the domain is
changed in the app, and a hand-written copy that drifts from it fails here.
"""

from __future__ import annotations

import pytest

from traceability import PERMITTED, TABLE, LotStatus, Role
from verifier_app.staff._events_api import EVENT_ROLES
from verifier_app.staff._forms import FORMS


@pytest.mark.parametrize("kind", sorted(FORMS))
def test_each_form_offers_the_lots_and_roles_the_domain_allows(kind: str) -> None:
    form = FORMS[kind]
    allowed_roles = {r.value for r in PERMITTED[form.model.KIND]} - {Role.REGULATOR.value}
    assert set(form.roles) == allowed_roles
    if form.action is None:
        assert form.lot_statuses == ()  # it makes lots (harvest), it names none
    else:
        assert set(form.lot_statuses) == TABLE[form.action].allowed


@pytest.mark.parametrize("status", list(LotStatus))
def test_a_lots_next_steps_are_exactly_the_forms_its_status_allows(status: LotStatus) -> None:
    offered = {k for k, f in FORMS.items() if f.offered_for(status)}
    allowed = {k for k, f in FORMS.items() if f.action and status in TABLE[f.action].allowed}
    assert offered == allowed
    if status in (LotStatus.RECALLED, LotStatus.CONSUMED):
        assert offered == set()  # nothing moves a recalled or used-up lot
    if status is LotStatus.ON_HOLD:
        # "local retention": cooling, a release with evidence, or another hold (a second
        # authority may hold a held lot under its own rule; issue 11).
        assert offered == {"cooling", "hold", "release"}


def test_event_routes_admit_the_token_roles_the_domain_permits() -> None:
    for route, roles in EVENT_ROLES.items():
        domain = {r.value for r in PERMITTED[f"trace.{route}"]}
        # A regulator's holds and recalls have their own routes; a decision is its alone.
        permitted = domain - {Role.REGULATOR.value} or domain
        assert set(roles) == permitted, route
    assert EVENT_ROLES["residue"] == ("lab",)  # only a lab vouches for a measurement
    assert EVENT_ROLES["lab_approval"] == ("regulator",)
    assert EVENT_ROLES["release"] == ("cooperative",)
