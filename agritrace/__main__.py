"""Allow ``python -m agritrace``."""

from agritrace.cli import main

main()
