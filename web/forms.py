"""Reading a posted form: from this site only, of a sane size, as plain strings."""

import re
from urllib.parse import parse_qsl

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from web.csrf import same_origin

MAX_FIELDS = 30
MAX_FIELD_BYTES = 64 * 1024
MAX_BODY_BYTES = 128 * 1024


async def read_form(request: Request) -> FormData:
    """The posted form, or 403 for a cross-site post and 400 for a form that is not one."""
    if not same_origin(request):
        raise HTTPException(403, "cross_site")
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        raise HTTPException(400, "bad_form")
    # Longer than MAX_BODY_BYTES is refused as it streams in (web.request_body), on every route.
    body = await request.body()
    if not _is_utf8_form(body):
        raise HTTPException(400, "bad_form")
    try:
        return await request.form(max_files=0, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_BYTES)
    except Exception as error:  # the parser's errors are many; all mean the same to a user
        raise HTTPException(400, "bad_form") from error


def _is_utf8_form(body: bytes) -> bool:
    """A browser percent-encodes a form as UTF-8; the form parser would quietly turn anything
    else into replacement characters (or Latin-1), storing words nobody wrote."""
    try:
        parse_qsl(body.decode("ascii"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return False
    return True


def one(form: FormData, name: str) -> str:
    """A single text field: missing is empty, duplicated is refused."""
    values = form.getlist(name)
    if len(values) > 1:
        raise HTTPException(400, "bad_form")
    return str(values[0]) if values else ""


# The largest id SQLite can hold has 19 digits; anything longer is no id of ours.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")


def whole_number(text: str) -> int | None:
    """An id or a count typed into a form or an address: empty is None, plain digits (ASCII
    only, as SQLite can hold them) are a number, anything else is refused with 400."""
    if not text:
        return None
    if not _WHOLE_NUMBER.fullmatch(text):
        raise HTTPException(400, "bad_form")
    return int(text)


def one_int(form: FormData, name: str) -> int:
    number = whole_number(one(form, name))
    if number is None:
        raise HTTPException(400, "bad_form")
    return number
