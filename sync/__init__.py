"""thidua-sync: collect, validate and consolidate lists from many units."""

__version__ = "0.1.0"
