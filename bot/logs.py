"""Structured logging: one line per event, `key=value` pairs (logfmt), tracebacks folded in."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

#: Attributes every LogRecord has; anything else came in through `extra=` and is printed.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _value(value: Any) -> str:
    text = str(value)
    if not text or any(ch in text for ch in ' ="\n\r\t'):
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
        return f'"{escaped}"'
    return text


class LogfmtFormatter(logging.Formatter):
    """Render a record as one logfmt line, so logs stay greppable and machine-readable."""

    def format(self, record: logging.LogRecord) -> str:
        """Format the record on a single line."""
        at = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        fields: dict[str, Any] = {
            "at": at.replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            fields["error"] = self.formatException(record.exc_info)
        return " ".join(f"{key}={_value(value)}" for key, value in fields.items())


def configure_logging(level: str) -> None:
    """Send all logs (ours and discord.py's) to stderr as logfmt at `level`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LogfmtFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("discord.http").setLevel(max(logging.INFO, root.level))
