"""Brief files: which files hold briefs, reading one safely, and parsing its bytes.

The same rules serve `python -m bot import`, `preview` and files attached to `/brief add`.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path, PurePath

from pydantic import ValidationError

from bot.brief.parsing import (
    DEFAULT_MAX_CHARS,
    BriefParseError,
    briefs_from_json,
    decode_text,
    parse_brief,
    parse_brief_json,
)
from bot.brief.text import truncate
from bot.errors import UserFacingError
from storage.models import BriefContent

#: The file types a brief comes in (see docs/brief-format.md).
BRIEF_SUFFIXES = (".txt", ".md", ".json")
#: Largest file `import` reads, in bytes: a large library's whole export fits.
FILE_MAX_BYTES = 50_000_000
#: Bytes read at a time; reading stops one byte past the limit, whatever the file claims.
READ_CHUNK = 1 << 20
#: What one file's content can make parsing or storing raise, besides BriefParseError: bad
#: values (pydantic's ValidationError is a ValueError), numbers or dates out of range.
BAD_CONTENT = (ValueError, OverflowError, RecursionError)
#: How much of an upload to look at when telling text from binary.
_SNIFF_BYTES = 8192


def is_brief_file(name: str) -> bool:
    """Say whether a file name has one of the brief suffixes (in any case)."""
    return PurePath(name).suffix.lower() in BRIEF_SUFFIXES


def load_briefs(
    data: bytes,
    filename: str,
    *,
    strip_patterns: Sequence[str] = (),
    max_chars: int = DEFAULT_MAX_CHARS,
) -> list[BriefContent]:
    """Parse a file's bytes as JSON (`.json`, or text that is JSON) or as one text brief."""
    text = decode_text(data, truncate(filename, 100) or "the file")
    if PurePath(filename).suffix.lower() == ".json":
        return parse_brief_json(text, max_chars=max_chars)
    if text.lstrip()[:1] in ("{", "["):
        try:
            raw = json.loads(text)
        except (ValueError, RecursionError):
            pass
        else:
            return briefs_from_json(raw, max_chars)
    return [parse_brief(text, strip_patterns=strip_patterns, max_chars=max_chars)]


def collect_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Yield brief files: given files as they are, folders searched recursively in name order.

    In folders only regular files count (`is_file`), so devices and FIFOs there are passed
    over; a path given by name is yielded as it is, for `read_file` to refuse.
    """
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and is_brief_file(p.name))
        else:
            yield path


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """Read a regular file of at most `max_bytes`, raising BriefParseError otherwise.

    Opened without blocking (a FIFO would wait for a writer) and checked on the open file,
    so what is read is what was checked; never more than `max_bytes + 1` bytes are read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise BriefParseError(f"cannot read file: {exc.strerror or exc}") from exc
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise BriefParseError("is a folder, not a brief file")
        if not stat.S_ISREG(info.st_mode):
            raise BriefParseError("not a regular file (a device, FIFO or socket)")
        if info.st_size > max_bytes:
            raise BriefParseError(f"file is {info.st_size:,} bytes; the limit is {max_bytes:,}")
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, min(READ_CHUNK, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise BriefParseError(f"cannot read file: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    if size > max_bytes:
        raise BriefParseError(f"file is over the limit of {max_bytes:,} bytes")
    return b"".join(chunks)


def read_file(
    path: Path, *, strip_patterns: Sequence[str], max_chars: int, max_bytes: int
) -> list[BriefContent]:
    """Read and parse one file, raising BriefParseError for anything wrong with it."""
    data = read_bytes(path, max_bytes)
    try:
        return load_briefs(data, path.name, strip_patterns=strip_patterns, max_chars=max_chars)
    except BriefParseError:
        raise
    except BAD_CONTENT as exc:
        raise BriefParseError(reason(exc)) from exc


def reason(exc: BaseException) -> str:
    """Say in one line why a file's content was refused."""
    if isinstance(exc, ValidationError) and exc.errors():
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "brief"
        message = str(error["msg"]).removeprefix("Value error, ")
        return f'field "{where}": {message}'
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


# --- uploads ------------------------------------------------------------------------------


def display_name(filename: str) -> str:
    """Quote an uploaded file's name safely for a message (no Markdown, bounded length)."""
    cleaned = "".join(ch for ch in filename if ch.isprintable() and ch != "`")
    return f"`{truncate(cleaned, 80) or 'file'}`"


def check_upload(filename: str, size: int, *, max_bytes: int) -> None:
    """Refuse a wrong file type or an oversized file, before or after downloading it."""
    name = display_name(filename)
    if not is_brief_file(filename):
        raise UserFacingError(
            f"{name} is not a brief file: attach a `.txt`, `.md` or `.json` file "
            "written in the brief format."
        )
    if size > max_bytes:
        raise UserFacingError(
            f"{name} is {size:,} bytes; brief files may be at most {max_bytes:,} bytes."
        )


def parse_upload(
    data: bytes,
    filename: str,
    *,
    strip_patterns: Sequence[str],
    max_chars: int,
    max_bytes: int,
) -> BriefContent:
    """Parse downloaded bytes as exactly one new brief, with a message naming the problem."""
    check_upload(filename, len(data), max_bytes=max_bytes)
    name = display_name(filename)
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise UserFacingError(f"{name} looks like a binary file, not text: save it as UTF-8 text.")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserFacingError(
            f"{name} is not UTF-8 text: save it as UTF-8 (plain text) and attach it again."
        ) from None
    try:
        briefs = load_briefs(data, filename, strip_patterns=strip_patterns, max_chars=max_chars)
    except BriefParseError as error:
        raise UserFacingError(f"{name} is not a valid brief: {error}.") from error
    if len(briefs) != 1:
        raise UserFacingError(
            f"{name} holds {len(briefs)} briefs; attach one brief at a time "
            "(the `import` command line loads many at once)."
        )
    return _content_only(briefs[0])


def _content_only(content: BriefContent) -> BriefContent:
    """Drop an exported brief's identity: an upload is always new content.

    What the file left unstated stays unset (`merge_upload` keeps the brief's topics and
    release time then: a file without those lines, or JSON without those keys).
    """
    fields = content.model_dump(include=set(BriefContent.model_fields), exclude_unset=True)
    return BriefContent.model_validate(fields)
