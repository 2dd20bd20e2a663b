"""Exports and imports in trading partners' and regulators' formats: EPCIS 2.0, FSMA 204."""
