"""Logs: the standard library's logging, one JSON object per line in production (python-json-logger)
and readable lines in development. Loa's loggers live under "loa" ("loa.request" for the one line
per request, "loa.auth", "loa.reviews", "loa.reports", "loa.plans", "loa.error", ...)."""
import logging
import sys

from pythonjsonlogger.json import JsonFormatter

# Fields every JSON line carries, in this order; an event's own fields (passed as `extra=`) follow.
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"
TEXT_FORMAT = "%(asctime)s %(levelname)-5s %(name)s %(message)s%(details)s"
# Attributes of every LogRecord: what is left over was passed as `extra=` by Loa's code.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName", "details"}


class TextFormatter(logging.Formatter):
    """Development lines: the message followed by its fields as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
        record.details = "".join(f" {k}={v}" for k, v in extras.items())
        return super().format(record)


class _DropDuplicateTraceback(logging.Filter):
    """uvicorn logs an unhandled exception again after Loa has logged it with its request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Exception in ASGI application")


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                             timestamp=False, json_ensure_ascii=False)
    return TextFormatter(TEXT_FORMAT)


def configure(fmt: str, level: str = "INFO") -> None:
    """Sends every logger's records (Loa's, uvicorn's, SQLAlchemy's warnings) through one handler on
    stderr. Called again it replaces its own handler only (test runners add theirs)."""
    # The logging HOWTO's optimisations: Loa's lines name no source line, thread or process, so
    # the request path does not pay to look them up.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "loa", False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.loa = True
    handler.setFormatter(formatter(fmt))
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("loa").setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
        uvicorn_logger.setLevel(logging.INFO)
    error_logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DropDuplicateTraceback) for f in error_logger.filters):
        error_logger.addFilter(_DropDuplicateTraceback())
    # Loa writes its own line per request; uvicorn's access line would say it twice.
    logging.getLogger("uvicorn.access").disabled = True


def uvicorn_log_config() -> dict:
    """Given to uvicorn so that it leaves the logging set up by `configure` alone."""
    return {"version": 1, "disable_existing_loggers": False}
