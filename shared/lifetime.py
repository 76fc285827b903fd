"""A child process ends with its parent (Linux ``PR_SET_PDEATHSIG``): one home for the rule that no
program `levee demo` or `levee serve` starts outlives them, even when they are killed outright."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys

PARENT_ENV = "LEVEE_PARENT_PID"  # set by the parent (`levee demo`, `levee serve`'s build) for its children


def sigterm_when_parent_ends() -> None:
    """Ask Linux for SIGTERM when the parent ends; elsewhere nothing."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


def die_with_parent() -> None:
    """When started by a Levee parent (:data:`PARENT_ENV`), end with it."""
    parent = os.environ.get(PARENT_ENV)
    if not parent or not sys.platform.startswith("linux"):
        return
    sigterm_when_parent_ends()
    if str(os.getppid()) != parent:  # the parent died before the line above
        os._exit(0)
