"""Reading a posted form: from this site only, of a sane size, as plain strings."""

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
    if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
        raise HTTPException(413, "too_large")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(413, "too_large")
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


def one_int(form: FormData, name: str) -> int:
    try:
        return int(one(form, name))
    except ValueError as error:
        raise HTTPException(400, "bad_form") from error
