"""The ``agritrace`` command: the composition root that mounts every package's commands.

The four product packages depend on each other in one direction only
(``verifier_app`` -> ``traceability`` -> ``ledger``; ``labels`` stands alone), so the one
place that may import all of them is this small package (docs/adr/0003-composition-root.md).
"""

from importlib.metadata import version

__all__ = ["__version__"]

__version__ = version("agritrace")
