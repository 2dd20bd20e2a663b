"""The regulator's audience: audits, proofs, trace, lists, recall and exports."""
