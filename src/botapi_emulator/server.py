"""The HTTP side: a tornado server speaking the Bot API, plus webhook delivery."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import ssl
import time
from types import TracebackType
from typing import Any

import httpx
import tornado.httpserver
import tornado.httputil
import tornado.iostream
import tornado.netutil
import tornado.web

from . import methods_bot as _methods_bot  # noqa: F401  (registers its methods)
from . import methods_inline as _methods_inline  # noqa: F401  (registers its methods)
from .flood import FloodLimits
from .methods import MAX_UPLOAD, METHODS, RequestContext
from .params import Params, Upload, api_error_for_code, coerce
from .records import JSON, ApiError, CallRecord, RejectedCall
from .users import ScriptedUsers

log = logging.getLogger(__name__)


def _read_request(request: tornado.httputil.HTTPServerRequest) -> tuple[JSON, dict[str, Upload]]:
    """Query string + JSON, form or multipart body -> (raw params, uploaded files)."""
    raw: JSON = {k: v[-1].decode("utf-8", "replace") for k, v in request.query_arguments.items()}
    content_type = request.headers.get("Content-Type", "")
    if content_type.startswith("application/json") and request.body.strip():
        try:
            body = json.loads(request.body)
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON object") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: JSON object expected")
        raw.update(body)
    else:
        for key, values in request.body_arguments.items():
            raw[key] = values[-1].decode("utf-8", "replace")
    files = {
        key: Upload(parts[0].filename or None, parts[0].body, parts[0].content_type or None)
        for key, parts in request.files.items()
        if parts
    }
    return raw, files


class BotAPIEmulator(ScriptedUsers):
    """A local stand-in for api.telegram.org; point PTB at ``base_url``/``base_file_url``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        token: str = "123456:EMULATOR",  # noqa: S107  (a fake token, not a secret)
        enforce_flood_limits: bool = False,
        bot_username: str = "newsbot_emulator_bot",
        flood_limits: FloodLimits | None = None,
        group_privacy: bool = False,
        webhook_retry_delay: float = 0.5,
    ) -> None:
        super().__init__(
            token=token,
            bot_username=bot_username,
            enforce_flood_limits=enforce_flood_limits,
            flood_limits=flood_limits,
            group_privacy=group_privacy,
        )
        self.host = host
        self.port = port
        self.webhook_retry_delay = webhook_retry_delay
        self._server: tornado.httpserver.HTTPServer | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._inflight = 0  # API requests not answered yet

    async def wait_for_inflight(self, count: int = 1, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Until at least ``count`` requests are being handled; TimeoutError after ``timeout``."""
        if await self.wait_until(lambda: True if self._inflight >= count else None, timeout):
            return
        raise TimeoutError(f"fewer than {count} requests in flight within {timeout} s")

    @property
    def base_url(self) -> str:
        """PTB's ``base_url``: it appends the token and ``/<method>``."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """PTB's ``base_file_url``: it appends the token and ``/<file_path>``."""
        return f"http://{self.host}:{self.port}/file/bot"

    @property
    def api_url(self) -> str:
        """The full method URL prefix including the token, for plain HTTP clients."""
        return f"{self.base_url}{self.token}"

    async def start(self) -> None:
        """Listen (on a free port when port=0) in the running event loop."""
        if self._server is not None:
            return
        handler_args = {"emu": self}
        app = tornado.web.Application(
            [
                (r"/bot([^/]*)/([A-Za-z_]+)/?", _ApiHandler, handler_args),
                (r"/file/bot([^/]*)/(.+)", _FileHandler, handler_args),
            ],
            default_handler_class=_NotFoundHandler,
            log_function=_log_request,
        )
        sockets = tornado.netutil.bind_sockets(self.port, self.host)
        self.port = sockets[0].getsockname()[1]
        self._server = tornado.httpserver.HTTPServer(app, max_body_size=MAX_UPLOAD + 2**20)
        self._server.add_sockets(sockets)
        self._closing = False
        self._webhook_task = asyncio.create_task(self._deliver_webhooks())

    async def stop(self) -> None:
        """Release pending long polls, stop webhook delivery, close every connection."""
        self._closing = True
        self.notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._server is not None:
            self._server.stop()
            # Let woken getUpdates handlers write their answers before connections close;
            # a request held by a long delay_next() is cut off after a moment.
            await self.wait_until(lambda: True if self._inflight == 0 else None, 2.0)
            await self._server.close_all_connections()
            self._server = None

    async def __aenter__(self) -> BotAPIEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ---- request dispatch ------------------------------------------------------------------

    def _log_call(self, name: str, values: JSON, err: ApiError, injected: bool) -> None:
        if err.error_code == 400 and not injected:
            self.rejected.append(RejectedCall(name, values, err.description))
        self._add_call(
            CallRecord(
                name, values, False, None, err.error_code, err.description, time.time(), injected
            )
        )

    async def dispatch(
        self,
        token: str,
        name: str,
        request: tornado.httputil.HTTPServerRequest,
        ctx: RequestContext,
    ) -> tuple[int, JSON]:
        """Run one Bot API call; (HTTP status, JSON body)."""
        entry = METHODS.get(name.lower())
        canonical = entry[0] if entry else name
        values: JSON = {}
        injected = False
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            if entry is None:
                raise ApiError(404, "Not Found: method not found")
            raw, files = _read_request(request)
            values = coerce(raw)
            chat_id = values.get("chat_id")
            fault = self._take_fault(canonical, chat_id if isinstance(chat_id, int) else None)
            if fault is not None:
                await asyncio.sleep(fault.delay)
                if fault.error_code is not None:
                    injected = True
                    raise self._fault_error(fault.error_code, fault.description,
                                            fault.retry_after, chat_id)  # fmt: skip
            result = await entry[1](self, Params(values, files), ctx)
        except ApiError as err:
            if not ctx.closed:
                self._log_call(canonical, values, err, injected)
            return err.error_code, err.payload()
        except Exception:
            log.exception("emulator failure in %s", canonical)
            return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        if not ctx.closed:
            self._add_call(CallRecord(canonical, values, True, result, None, None, time.time()))
        return 200, {"ok": True, "result": result}

    def _fault_error(
        self, code: int, description: str | None, retry_after: int | None, chat_id: Any
    ) -> ApiError:
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if code == 403 and description is None and chat and chat["type"] != "private":
            description = f"Forbidden: bot was kicked from the {chat['type']} chat"
        return api_error_for_code(code, description, retry_after)

    # ---- webhook delivery ------------------------------------------------------------------

    def _webhook_work(self) -> bool | None:
        if self._closing or (self.webhook is not None and self.pending_updates(1)):
            return True
        return None

    async def _deliver_webhooks(self) -> None:
        """POST pending updates one at a time, in order; retry failures like Telegram."""
        async with httpx.AsyncClient(timeout=10.0, verify=_tls_context()) as client:
            while not self._closing:
                await self.wait_until(self._webhook_work, None)
                hook = self.webhook
                pending = self.pending_updates(1) if hook is not None else []
                if hook is None or not pending or self._closing:
                    continue
                update = pending[0]
                headers = {}
                if hook.secret_token:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
                try:
                    response = await client.post(hook.url, json=update, headers=headers)
                    error = None
                    if not 200 <= response.status_code < 300:
                        error = f"Wrong response from the webhook: {response.status_code} "
                        error += response.reason_phrase
                except httpx.HTTPError as exc:
                    error = f"Connection failed: {exc!r}"
                if error is None:
                    self._updates = [u for u in self._updates if u is not update]
                    self.notify()
                else:
                    hook.last_error_date, hook.last_error_message = int(time.time()), error
                    await asyncio.sleep(self.webhook_retry_delay)


def _log_request(handler: tornado.web.RequestHandler) -> None:
    # Quieter than tornado.access (which warns on every 4xx): the emulator's own logger,
    # debug for successes, info for errors the bot should look at.
    status = handler.get_status()
    level = logging.DEBUG if status < 400 else logging.INFO
    request = handler.request
    log.log(level, "%d %s %s", status, request.method, request.path)


class _ApiHandler(tornado.web.RequestHandler):
    def initialize(self, emu: BotAPIEmulator) -> None:
        self.emu = emu
        self.ctx = RequestContext()

    def on_connection_close(self) -> None:
        # The client gave up (e.g. PTB cancelled a long poll): wake its getUpdates.
        self.ctx.closed = True
        self.emu.notify()

    async def get(self, token: str, name: str) -> None:
        self.emu._inflight += 1
        self.emu.notify()
        try:
            status, body = await self.emu.dispatch(token, name, self.request, self.ctx)
            self.set_status(status)
            self.set_header("Content-Type", "application/json")
            if not self.ctx.closed:
                with contextlib.suppress(tornado.iostream.StreamClosedError):
                    await self.finish(json.dumps(body, ensure_ascii=False))
        finally:
            self.emu._inflight -= 1
            self.emu.notify()

    async def post(self, token: str, name: str) -> None:
        await self.get(token, name)


class _FileHandler(tornado.web.RequestHandler):
    def initialize(self, emu: BotAPIEmulator) -> None:
        self.emu = emu

    async def get(self, token: str, path: str) -> None:
        stored = next((f for f in self.emu.files.values() if f.file_path == path), None)
        if token != self.emu.token or stored is None:
            self.set_status(404)
            self.set_header("Content-Type", "application/json")
            self.finish({"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self.set_header("Content-Type", stored.mime_type or "application/octet-stream")
        self.finish(stored.content)


class _NotFoundHandler(tornado.web.RequestHandler):
    def prepare(self) -> None:
        self.set_status(404)
        self.set_header("Content-Type", "application/json")
        self.finish({"ok": False, "error_code": 404, "description": "Not Found"})


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The one TLS context of the webhook clients (one per emulator): httpx would load the CA
    bundle again for each, ~50 ms of CPU at every emulator start, webhook or not."""
    return httpx.create_ssl_context()
