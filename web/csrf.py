"""Cross-site request forgery: one mechanism, two checks.

Every unsafe request must come from this site (Origin, or Sec-Fetch-Site where a browser sends
no Origin). A staff form must also carry a token bound to the staff session, so even a page of
this site's origin that was not served to that session cannot post as them.
"""

import hashlib
import hmac

from starlette.requests import Request

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def same_origin(request: Request) -> bool:
    """With Referrer-Policy no-referrer a browser sends `Origin: null` on a form post, so
    Sec-Fetch-Site decides then; a client that sends neither header is not a browser, and a
    forged request needs a victim's browser."""
    origin = request.headers.get("origin")
    if origin not in (None, "null"):
        return origin == f"{request.url.scheme}://{request.url.netloc}"
    return request.headers.get("sec-fetch-site", "same-origin") in {"same-origin", "none"}


def token_for(request: Request, session_token: str) -> str:
    key = request.app.state.settings.secret.encode()
    return hmac.new(key, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def token_is_valid(request: Request, session_token: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(token_for(request, session_token), str(sent))
