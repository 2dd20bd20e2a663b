"""Database access for the ledger: the only code in ``ledger`` that talks SQL.

:class:`Store` is one log's rows in one database; :func:`open_engine` opens the database
with the ledger's durability and locking settings. The table definitions are in
:mod:`ledger._schema`. Everything else in the ledger calls the store's methods and never
builds a query.
"""

from ledger._store._bulk import EntryRow, NodeRow
from ledger._store._engine import DEFAULT_URL_ENV, begin_write, database_url, open_engine
from ledger._store._rows import LEVEL_SHIFT, Head, Store, node_id

__all__ = [
    "DEFAULT_URL_ENV",
    "LEVEL_SHIFT",
    "EntryRow",
    "Head",
    "NodeRow",
    "Store",
    "begin_write",
    "database_url",
    "node_id",
    "open_engine",
]
