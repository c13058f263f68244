"""What the server writes to its log never holds a school's entry link.

The pupil pages live at `/p/<token>`, the school's secret link: whoever read it in a log (a host,
a log collector, a backup) could post as that school's pupils and guess at their codes. Every
line the app or uvicorn writes shows the path as `/p/…`. (No access log is written at all: it
would record pupils' addresses and browsers.)
"""

import logging
import re

ENTRY_LINK = re.compile(r"/p/[^/\s?#\"'<>]+")
REDACTED = "/p/…"
# The loggers that write a request's path or an exception: the app's own and uvicorn's.
LOGGERS = ("school_report.web", "school_report.mail", "uvicorn.error", "uvicorn.access")


def redacted(text: str) -> str:
    return ENTRY_LINK.sub(REDACTED, text)


class RedactEntryLinks(logging.Filter):
    """Rewrites a record's message, arguments and traceback before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            # Its formatter reads the arguments one by one (should an access log be turned on).
            record.args = tuple(redacted(a) if isinstance(a, str) else a for a in record.args)
        else:
            record.msg, record.args = redacted(record.getMessage()), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redacted(record.exc_text)
        if record.stack_info:
            record.stack_info = redacted(record.stack_info)
        return True


def redact_server_logs() -> None:
    """Put the filter on every logger in LOGGERS (once, however many apps are built)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactEntryLinks) for f in logger.filters):
            logger.addFilter(RedactEntryLinks())
