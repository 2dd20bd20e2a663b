"""A demo cooperative's strawberry season, recorded through the rules on a fresh ledger.

>>> from traceability.demo import FARMS, PRODUCTS
>>> len(FARMS), PRODUCTS[0].commodity
(4, 'strawberry')
"""

from traceability.demo._cast import COOPERATIVE, FARMS, PRODUCTS, DemoFarm, DemoProduct
from traceability.demo._season import ACTORS, Season, build_season

__all__ = [
    "ACTORS",
    "COOPERATIVE",
    "FARMS",
    "PRODUCTS",
    "DemoFarm",
    "DemoProduct",
    "Season",
    "build_season",
]
