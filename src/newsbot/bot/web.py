"""The bot's web server: Telegram's webhook POSTs (secret token checked, each update id
processed once across replicas), `/healthz` (alive), `/readyz` (database reachable, search
index loaded) and `/metrics` (Prometheus). In polling mode it serves the last three only,
when NEWSBOT_METRICS_PORT is set.

Our own server rather than PTB's `start_webhook`, so that the webhook and the operations
endpoints share one port, and the update-id check sits in front of the handlers.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import tornado.httpserver
import tornado.web
from sqlalchemy import text

from newsbot import metrics
from newsbot.db.updates import UpdateLog
from newsbot.service import Newsbot

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)
OnUpdate = Callable[[dict[str, Any]], Awaitable[None]]


class _Health(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write("ok\n")


class _Ready(tornado.web.RequestHandler):
    def initialize(self, service: Newsbot) -> None:
        self.service = service

    async def get(self) -> None:
        problems = []
        try:
            async with self.service.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:
            problems.append(f"database unreachable: {exc.__class__.__name__}")
        if not self.service.retriever.loaded:
            problems.append("search index not loaded yet")
        self.set_status(503 if problems else 200)
        self.write("\n".join(problems or ["ready"]) + "\n")


class _Metrics(tornado.web.RequestHandler):
    def initialize(self, service: Newsbot) -> None:
        self.service = service

    def get(self) -> None:
        metrics.INDEX_NEWEST.set(self.service.retriever.index.max_passage_id)
        body, content_type = metrics.exposition()
        self.set_header("Content-Type", content_type)
        self.write(body)


class _Webhook(tornado.web.RequestHandler):
    def initialize(self, secret: str, updates: UpdateLog, on_update: OnUpdate) -> None:
        self.secret, self.updates, self.on_update = secret, updates, on_update

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("webhook: refused a request without the right secret token")
            raise tornado.web.HTTPError(403)
        try:
            data = json.loads(self.request.body)
            update_id = int(data["update_id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise tornado.web.HTTPError(400, "not a Telegram update") from exc
        if await self.updates.first_time(update_id):
            await self.on_update(data)
        else:
            log.info("webhook: update %s was processed already", update_id)
        self.set_status(200)


class WebServer:
    """The HTTP server of one replica."""

    def __init__(
        self,
        service: Newsbot,
        *,
        webhook_path: str | None = None,
        secret: str = "",
        on_update: OnUpdate | None = None,
    ) -> None:
        routes: list[Any] = [
            (r"/healthz", _Health),
            (r"/readyz", _Ready, {"service": service}),
            (r"/metrics", _Metrics, {"service": service}),
        ]
        if webhook_path is not None and on_update is not None:
            updates = UpdateLog(service.sessions)
            options = {"secret": secret, "updates": updates, "on_update": on_update}
            routes.append((f"/{webhook_path.strip('/')}", _Webhook, options))
        self._app = tornado.web.Application(routes)
        self._server: tornado.httpserver.HTTPServer | None = None

    def start(self, listen: str, port: int) -> None:
        self._server = self._app.listen(port, address=listen, xheaders=True)
        log.info("listening on %s:%s (/healthz, /readyz, /metrics)", listen, port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
