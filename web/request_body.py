"""A request's body as it streams in: never more of it than a form may hold, and a client that
leaves part-way costs one short log line, not a traceback.

The size is counted here, on the `http.request` messages themselves, before the form parser or
anything else holds them: a body sent without Content-Length (chunked) is refused at the first
byte over the limit, on every route, rather than read whole and measured after. A client that
drops its request part-way (a tablet put to sleep, a closed lid, or a script that opens many
uploads and abandons them) is logged in one line, at most `ABORTED_LINES_PER_MINUTE` a minute,
so cheap aborted requests cannot fill the disk.
"""

import logging
import time

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.forms import MAX_BODY_BYTES
from web.logs import redacted

log = logging.getLogger("school_report.web")
ABORTED_LINES_PER_MINUTE = 10


class AbortedRequestLog:
    """One line per aborted request, at most `per_minute` a minute; the first line of the next
    minute says how many were left out."""

    def __init__(self, per_minute: int = ABORTED_LINES_PER_MINUTE):
        self.per_minute = per_minute
        self.minute = 0
        self.written = 0
        self.left_out = 0

    def note(self, method: str, path: str) -> None:
        minute = int(time.monotonic() // 60)
        if minute != self.minute:
            self.minute, self.written = minute, 0
        if self.written >= self.per_minute:
            self.left_out += 1
            return
        self.written += 1
        also = f" ({self.left_out} more before this were not logged)" if self.left_out else ""
        self.left_out = 0
        log.warning("client left during its request: %s %s%s", method, redacted(path), also)


class LimitRequestBody:
    """Refuses (413, through the app's one error page) a body longer than `limit` bytes, counted
    as it arrives; a client's leaving part-way ends the request with one log line."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES):
        self.app = app
        self.limit = limit
        self.aborted = AbortedRequestLog()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            if _declared_length(scope) > self.limit:
                raise HTTPException(413, "too_large")
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise HTTPException(413, "too_large")
            return message

        try:
            await self.app(scope, counted, send)
        except ClientDisconnect:
            self.aborted.note(scope["method"], scope["path"])


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0
