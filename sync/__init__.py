"""thidua-sync: collect, validate and consolidate lists from many units."""

from . import rules as rules  # registers the built-in rule kinds before any campaign is read

__version__ = "0.1.0"
