"""The county (or alliance) regulator's pages: every member's log read together.

``router_for(members, tokens)`` returns the pages' router; a deployment hosting many
cooperatives mounts it under ``/county/``. The pages list the members with their lots by
status and their audit state, search lots across logs, trace a lot across logs (where one
member took in a lot another shipped, each link verified against its source log), show the
members' dashboards summed, and audit every member. Only the deployment's own county token
file signs in here (:mod:`verifier_app.county._gate`).
"""

from verifier_app.county._routes import router_for

__all__ = ["router_for"]
