"""The domain's rules: lifecycle table, roles and permissions, rule tables on the ledger."""
