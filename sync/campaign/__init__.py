"""Campaign files and form templates."""

from .campaign import STATUS_HEADER, Campaign, Column, Deadline, Form, Unit
from .loader import builtin_dir, builtin_names, choice_list, load_campaign, load_template

__all__ = [
    "STATUS_HEADER",
    "Campaign",
    "Column",
    "Deadline",
    "Form",
    "Unit",
    "builtin_dir",
    "builtin_names",
    "choice_list",
    "load_campaign",
    "load_template",
]
