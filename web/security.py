"""Headers every response carries, and no-store on every page (pages show reports and codes;
only versioned static files may be cached). HSTS and Secure cookies go with HTTPS: the service's
own address (`Settings.https`) or, behind a reverse proxy whose address uvicorn trusts
(`school-admin serve --proxy-headers --forwarded-allow-ips PROXY_IP`), the scheme it forwards."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)


def served_over_https(scope: Scope, https: bool) -> bool:
    """`https` is the setting; uvicorn puts a trusted proxy's X-Forwarded-Proto in the scope
    (and ignores the header from anyone else)."""
    return https or scope.get("scheme") == "https"


def security_headers(path: str, https: bool) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        # Referer and Origin go to this site only (its forms must carry Origin: web.csrf).
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cache-Control": "public, max-age=31536000, immutable"
        if path.startswith("/static/")
        else "no-store",
    }
    if https:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return headers


class SecurityHeaders:
    """Adds `security_headers` to every response that passes through the app's middleware
    (the error page of an unexpected exception adds them itself, as it is sent from outside)."""

    def __init__(self, app: ASGIApp, https: bool):
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope["path"], served_over_https(scope, self.https))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(extra)
            await send(message)

        await self.app(scope, receive, send_with_headers)
