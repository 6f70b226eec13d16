"""Sliding-window flood limits modelled on Telegram's published guidance.

Telegram documents: about 30 messages per second overall, about one message per second in
a private chat (short bursts tolerated) and at most 20 messages per minute in a group. The
exact server algorithm is not public, so the emulator uses plain sliding windows:

* overall: at most ``global_max`` messages in any ``global_window`` (30 per 1 s);
* private chat: at most ``private_max`` messages in any ``private_window`` (3 per 3 s) —
  an average of one per second with a burst of three, so "Searching…" + answer + an edit
  is fine while a tight loop is not;
* group/supergroup: at most ``group_max`` in any ``group_window`` (20 per 60 s).

Edits count as messages: Telegram rate-limits edit storms too (e.g. streaming an answer by
editing it every 100 ms gets 429s in production).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FloodLimits:
    """Window sizes (seconds) and message counts of the three limits."""

    global_max: int = 30
    global_window: float = 1.0
    private_max: int = 3
    private_window: float = 3.0
    group_max: int = 20
    group_window: float = 60.0


class FloodLimiter:
    """Counts messages per window; ``check`` admits one or returns the retry delay."""

    def __init__(
        self, limits: FloodLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or FloodLimits()
        self._clock = clock
        self._global: deque[float] = deque()
        self._per_chat: dict[int, deque[float]] = {}

    @staticmethod
    def _retry_after(window: deque[float], size: float, limit: int, now: float) -> int | None:
        while window and window[0] <= now - size:
            window.popleft()
        if len(window) < limit:
            return None
        # The oldest message that must leave the window before one more fits.
        leaves_at = window[len(window) - limit] + size
        return max(1, math.ceil(leaves_at - now))

    def check(self, chat_id: int, is_private: bool) -> int | None:
        """Admit a message to ``chat_id`` (recording it) or return seconds to wait."""
        now = self._clock()
        lim = self.limits
        chat_window = self._per_chat.setdefault(chat_id, deque())
        size, limit = (
            (lim.private_window, lim.private_max)
            if is_private
            else (lim.group_window, lim.group_max)
        )
        waits = [
            self._retry_after(self._global, lim.global_window, lim.global_max, now),
            self._retry_after(chat_window, size, limit, now),
        ]
        needed = [w for w in waits if w is not None]
        if needed:
            return max(needed)
        self._global.append(now)
        chat_window.append(now)
        return None

    def reset(self) -> None:
        """Forget all counted messages."""
        self._global.clear()
        self._per_chat.clear()
