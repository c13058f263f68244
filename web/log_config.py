"""One logging configuration for uvicorn and the app, as an operator reads it.

Every line: the time (UTC), the level, the component (the logger's name) and the message, one
line per event (a traceback is folded into its line), as text or as JSON lines
(`school-admin serve --log-format json`) for a log collector. The privacy filter of `web.logs`
sits on the handler, so it sees every line whichever logger wrote it. uvicorn takes this
dictionary as its `log_config` and applies it in each worker process too.
"""

import json
import logging
import logging.config
import time
from typing import Any, Literal

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")


def _time(record: logging.LogRecord) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{seconds}.{int(record.msecs):03d}Z"


def _message(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    message = record.getMessage()
    if record.exc_info and not record.exc_text:
        record.exc_text = formatter.formatException(record.exc_info)
    if record.exc_text:
        message = f"{message}\n{record.exc_text}"
    if record.stack_info:
        message = f"{message}\n{record.stack_info}"
    return message


class TextLines(logging.Formatter):
    """`2026-12-02T08:15:00.123Z WARNING school_report.mail mail 2 … not sent (try 1)`"""

    def format(self, record: logging.LogRecord) -> str:
        message = _message(self, record).replace("\n", " ⏎ ")
        return f"{_time(record)} {record.levelname} {record.name} {message}"


class JsonLines(logging.Formatter):
    """One JSON object a line: time, level, component, message."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": _time(record),
            "level": record.levelname,
            "component": record.name,
            "message": _message(self, record),
        }
        return json.dumps(line, ensure_ascii=False)


def logging_config(log_format: LogFormat = "text", level: str = "INFO") -> dict[str, Any]:
    """The `logging.config.dictConfig` dictionary (also uvicorn's `log_config`)."""
    formatter = {"text": TextLines, "json": JsonLines}[log_format]
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "lines",
        "filters": ["privacy"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"privacy": {"()": "web.logs.RedactEntryLinks"}},
        "formatters": {"lines": {"()": f"{__name__}.{formatter.__name__}"}},
        "handlers": {"stderr": handler},
        "loggers": {
            "school_report": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            # Off: an access log would record pupils' addresses and entry links.
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }


def configure_logging(log_format: LogFormat = "text") -> dict[str, Any]:
    config = logging_config(log_format)
    logging.config.dictConfig(config)
    return config
