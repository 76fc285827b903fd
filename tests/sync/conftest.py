"""Sync tests use the shared fixtures of tests/conftest.py (``world``, ``new_device``)."""

from tests.conftest import DeviceFactory

__all__ = ["DeviceFactory"]
