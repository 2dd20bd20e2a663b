"""The projection: the only code that reads or writes the domain's ``trace_*`` tables."""
