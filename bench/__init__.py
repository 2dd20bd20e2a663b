"""Benchmarks: each prints its figures next to the machine's own limits measured in the run."""
