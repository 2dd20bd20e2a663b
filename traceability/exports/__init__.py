"""Exports and imports in trading partners' and regulators' formats: EPCIS 2.0, FSMA 204.

:func:`parse_selection` turns a caller's text (command line or app) into an
:class:`ExportSelection`; :func:`export_epcis` and :func:`export_fsma204` export it.
"""
