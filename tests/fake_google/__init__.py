"""Fake Google Sheets v4 + Drive v3 server for tests and benchmarks.

Usage::

    fake = FakeGoogle()
    client = fake.gspread_client()          # real gspread.Client routed to the fake
    fake.counts["sheets.spreadsheets.values.batchGet"]
    fake.faults.add(status=429, method="sheets.spreadsheets.values.batchGet", times=2)
"""

from .adapter import FakeGoogleAdapter, fake_credentials, gspread_client, mount
from .app import FakeGoogle, Faults, is_read

__all__ = [
    "FakeGoogle",
    "FakeGoogleAdapter",
    "Faults",
    "fake_credentials",
    "gspread_client",
    "is_read",
    "mount",
]
