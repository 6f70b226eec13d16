"""Long polling that survives an update PTB can't parse.

When a Bot API server sends something this PTB version can't read (a version skew, a broken
server), PTB's Updater fails on the whole batch and asks for the same updates again, at once, for
ever: the bot is wedged and the log grows by megabytes a second. `SkippingUpdatesRequest` checks
each update of a getUpdates answer first; one that doesn't parse is replaced by a bare
``{"update_id": N}`` (which no handler matches), so PTB moves past it. Each is logged once.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from telegram import Update
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)


class SkippingUpdatesRequest(HTTPXRequest):
    """The request object for getUpdates only (ApplicationBuilder.get_updates_request)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._skipped: set[object] = set()

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        status, payload = await super().do_request(*args, **kwargs)
        try:
            answer = json.loads(payload)
        except ValueError:
            return status, payload  # PTB reports it
        if not (isinstance(answer, dict) and isinstance(answer.get("result"), list)):
            return status, payload
        answer["result"] = [self._checked(raw) for raw in answer["result"]]
        return status, json.dumps(answer).encode()

    def _checked(self, raw: Any) -> Any:
        try:
            Update.de_json(raw, None)
        except Exception as exc:  # whatever PTB's parser trips on
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            if update_id not in self._skipped:
                self._skipped.add(update_id)
                log.error(
                    "skipping update %s: it can't be read (%s: %s); data: %.500r",
                    update_id,
                    type(exc).__name__,
                    exc,
                    raw,
                )
            if not isinstance(update_id, int):
                raise  # without an id there is no way past it
            return {"update_id": update_id}
        return raw
