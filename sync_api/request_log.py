"""One JSON line per request: method, path template, status, duration. Nothing else: no query
strings, headers, tokens or bodies, so review contents and secrets never reach the log."""

from __future__ import annotations

import json
import logging
import time

from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("sync_api.requests")


class RequestLogMiddleware(ASGIMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        start = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await next_app(scope, receive, send_with_status)
        finally:
            log.info(
                json.dumps(
                    {
                        "method": scope.get("method"),
                        "path": scope.get("path_template") or "<unmatched>",
                        "status": status,
                        "ms": round((time.perf_counter() - start) * 1000, 2),
                    }
                )
            )


def log_unrouted(method: str, status: int) -> None:
    """The log line of a request that matched no route (its path is not logged: it is arbitrary)."""
    log.info(json.dumps({"method": method, "path": "<unmatched>", "status": status, "ms": None}))
