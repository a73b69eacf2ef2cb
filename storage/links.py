"""What a brief's links must be to be shown: one rule for input and for rendering (pure).

A link is kept as the publisher wrote it. What Discord receives is its URI form: an
internationalised link (a host or path in any script) is converted as RFC 3987 says (IDNA for
the host, UTF-8 percent-encoding for the rest), and it is that form Discord's limits apply to.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

#: Longest `url` of a link button (Discord: message components, button object).
LINK_BUTTON_URL = 512
#: Longest embed `url`, and image or thumbnail `url` (Discord: embed object limits).
EMBED_URL = 2048

SCHEMES = frozenset({"http", "https"})

#: Characters RFC 3986 allows in a URI: unreserved, reserved, and "%" of an escape.
_URI_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
#: What quoting leaves alone: every character a URI may carry (escapes included).
_SAFE = "-._~:/?#[]@!$&'()*+,;=%"


class LinkError(ValueError):
    """A link that cannot be shown; the message says why, in words for the publisher."""


def as_uri(link: str) -> str:
    """Return the link as Discord must receive it, or raise LinkError saying why it cannot be.

    Checks: http or https, a host, no spaces or control characters, valid escapes, a valid
    port; then converts an internationalised link to its URI form.
    """
    if not link:
        raise LinkError("is empty")
    if any(char.isspace() or not char.isprintable() for char in link):
        raise LinkError("contains spaces or invisible characters (write spaces as %20)")
    try:
        parts = urlsplit(link)
        port = parts.port
    except ValueError as error:
        raise LinkError(f"is not a valid web address ({error})") from None
    if parts.scheme.lower() not in SCHEMES:
        raise LinkError("must start with https:// or http://")
    host = parts.hostname
    if not host:
        raise LinkError("has no host name, as in https://example.com/story")
    if "\\" in link or _BAD_ESCAPE.search(link):
        raise LinkError("contains a backslash or a stray % (write % as %25)")
    if parts.username is not None or parts.password is not None:
        raise LinkError("must not carry a user name or password")
    netloc = parts.netloc
    if not netloc.isascii():
        try:
            netloc = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise LinkError(f"has a host name that is not a valid domain ({host!r})") from None
        if port is not None:
            netloc += f":{port}"
    scheme = link[: len(parts.scheme) + 3]  # as written, "HTTPS://" included
    rest = quote(link[len(scheme) + len(parts.netloc) :], safe=_SAFE)
    uri = f"{scheme}{netloc}{rest}"
    if not _URI_CHARS.fullmatch(uri):
        raise LinkError("is not a valid web address")
    return uri


def link_problem(link: str, *, limit: int) -> str | None:
    """Say why `link` cannot be shown where Discord allows `limit` characters (None: it can)."""
    try:
        uri = as_uri(link)
    except LinkError as error:
        return str(error)
    if len(uri) > limit:
        return f"is {len(uri):,} characters long; Discord shows links of at most {limit:,}"
    return None


def shown_link(link: str | None, *, limit: int) -> str | None:
    """Return the link as sent to Discord, or None when there is none or it cannot be shown."""
    if link is None or link_problem(link, limit=limit) is not None:
        return None
    return as_uri(link)
