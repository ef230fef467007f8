"""Counting failed attempts (sign-ins) per key over a sliding window, to slow down guessing."""

import threading
from collections import deque


class Throttle:
    """Failed sign-ins per key in the last ``window``; a key at its kind's limit must wait.

    Kept in memory: the hub is one process, and a restart forgetting the count is harmless."""

    MAX_KEYS = 10_000  # past this, keys with no recent failure are forgotten, then the oldest

    def __init__(self, limits, window):
        self.limits = limits
        self.window = window
        self.failures = {}  # (kind, value) -> deque of failure times, oldest first
        self.lock = threading.Lock()

    def blocked(self, keys, now):
        """Whether any of ``keys`` (kind to value) has reached its limit."""
        with self.lock:
            return any(
                sum(now - at <= self.window for at in self.failures.get((kind, value), ())) >= self.limits[kind]
                for kind, value in keys.items()
            )

    def failed(self, keys, now):
        """Count a failure against every one of ``keys``."""
        with self.lock:
            for kind, value in keys.items():
                times = self.failures.setdefault((kind, value), deque())
                times.append(now)
                while now - times[0] > self.window:
                    times.popleft()
            if len(self.failures) > self.MAX_KEYS:
                for key in [k for k, times in self.failures.items() if now - times[-1] > self.window]:
                    del self.failures[key]
                while len(self.failures) > self.MAX_KEYS:
                    del self.failures[next(iter(self.failures))]
