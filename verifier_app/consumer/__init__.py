"""The consumer's audience: the GS1 Digital Link resolver and the scan page with its proofs."""
