"""Hybrid logical clock (Kulkarni et al.): orders a device's events for audit without trusting its wall clock.

A timestamp is ``(wall_ms, counter, node)``; it never goes backwards on a node even when the wall clock
does, and after :meth:`HybridLogicalClock.receive` it is after anything the node has seen. Encoded as a
fixed-width string so that string order is time order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_COUNTER = 0xFFFF


@dataclass(frozen=True, order=True, slots=True)
class Timestamp:
    wall_ms: int
    counter: int
    node: str

    def encode(self) -> str:
        return f"{self.wall_ms:015d}-{self.counter:04x}-{self.node}"

    @classmethod
    def decode(cls, text: str) -> Timestamp:
        try:
            wall, counter, node = text.split("-", 2)
            return cls(int(wall), int(counter, 16), node)
        except ValueError as exc:
            raise ValueError(f"not a hybrid logical clock timestamp: {text!r}") from exc


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class HybridLogicalClock:
    """One node's clock; ``now`` reads the wall clock through ``wall`` so tests can steer it."""

    def __init__(self, node: str, wall: Callable[[], int] = _now_ms, last: Timestamp | None = None) -> None:
        if not node or "-" in node:
            raise ValueError("node id must be non-empty and contain no '-'")
        self.node = node
        self._wall = wall
        self._last = last or Timestamp(0, 0, node)

    @property
    def last(self) -> Timestamp:
        return self._last

    def now(self) -> Timestamp:
        """A timestamp for a local event, after every one handed out or received before."""
        wall = self._wall()
        if wall > self._last.wall_ms:
            ts = Timestamp(wall, 0, self.node)
        else:
            ts = self._bump(self._last.wall_ms, self._last.counter)
        self._last = ts
        return ts

    def receive(self, remote: Timestamp) -> Timestamp:
        """Merge a timestamp seen from another node, so later local events order after it."""
        wall = self._wall()
        top = max(wall, self._last.wall_ms, remote.wall_ms)
        if top == self._last.wall_ms == remote.wall_ms:
            counter = max(self._last.counter, remote.counter)
        elif top == self._last.wall_ms:
            counter = self._last.counter
        elif top == remote.wall_ms:
            counter = remote.counter
        else:
            ts = Timestamp(top, 0, self.node)
            self._last = ts
            return ts
        ts = self._bump(top, counter)
        self._last = ts
        return ts

    def _bump(self, wall: int, counter: int) -> Timestamp:
        if counter >= MAX_COUNTER:
            return Timestamp(wall + 1, 0, self.node)
        return Timestamp(wall, counter + 1, self.node)
