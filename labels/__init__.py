"""GS1 Digital Link URIs, QR codes, label sheets and compliance certificates."""

__all__: list[str] = []
