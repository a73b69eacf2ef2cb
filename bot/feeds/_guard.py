"""Who may be fetched: http(s) URLs whose addresses are public, checked before and after DNS.

`check_url` refuses other schemes and IP literals that are not public (aiohttp connects to a
literal without asking the resolver); `GuardedResolver` refuses the addresses a name resolves
to. The connection uses only the addresses the resolver returned, so the rule holds at every
redirect and against DNS rebinding.
"""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Cloud metadata services (AWS, GCP, Azure, OpenStack; AWS's IPv6 one; Alibaba's), refused
#: by name even where another rule would cover them.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
#: Carrier-grade NAT (RFC 6598), neither private nor global to `ipaddress`.
SHARED_NETWORK = ipaddress.ip_network("100.64.0.0/10")
#: NAT64's well-known prefix (RFC 6052): where NAT64 runs, it reaches the IPv4 address inside.
NAT64_NETWORK = ipaddress.ip_network("64:ff9b::/96")
SCHEMES = ("http", "https")


class UrlRefused(ValueError):
    """The URL is not one briefbot fetches; the message says why, in a sentence."""


class AddressRefused(OSError):
    """A name resolved only to addresses briefbot does not fetch (raised inside aiohttp's
    connector, which wraps OSErrors from its resolver)."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), reached through it."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64_NETWORK:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_problem(address: IPAddress) -> str | None:
    """What kind of non-public address this is ("a loopback address"), or None when public."""
    if address in METADATA_ADDRESSES:
        return "a metadata service address"
    if isinstance(address, ipaddress.IPv6Address) and (inner := _embedded_ipv4(address)):
        problem = address_problem(inner)
        return f"{problem} ({inner} inside IPv6)" if problem else None
    checks = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address in SHARED_NETWORK, "a shared (carrier-grade NAT) address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
        (not address.is_global, "not a public address"),
    )
    return next((problem for failed, problem in checks if failed), None)


def _literal(host: str) -> IPAddress | None:
    """The IP address a URL's host spells, None for a name; legacy forms (127.1) refused."""
    if ":" not in host and not host.replace(".", "").isdigit():
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise UrlRefused(f"{host} is not an IP address written the usual way") from None
    return address


def check_url(url: str, *, allow_private: bool) -> str:
    """Return `url` if briefbot may fetch it: http(s), a host, and a public IP if a literal
    (a name is checked after DNS, by `GuardedResolver`)."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        raise UrlRefused(f"{url!r} is not a URL") from None
    if parsed.scheme.lower() not in SCHEMES:
        scheme = f"{parsed.scheme}://" if parsed.scheme else "a URL without a scheme"
        raise UrlRefused(f"{scheme} is not fetched: only http:// and https:// are")
    host = parsed.raw_host
    if not host:
        raise UrlRefused(f"{url} has no host")
    address = _literal(host)
    if allow_private:
        return url
    if address is not None and (problem := address_problem(address)):
        raise UrlRefused(f"{host} is {problem}")
    return url


class GuardedResolver(AbstractResolver):
    """Resolve with aiohttp's default resolver, then drop every address that is not public."""

    def __init__(self, *, allow_private: bool, resolver: AbstractResolver | None = None) -> None:
        self._allow_private = allow_private
        self._resolver = resolver or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._resolver.resolve(host, port, family)
        if self._allow_private:
            return found
        kept = []
        refusals = []
        for result in found:
            problem = address_problem(ipaddress.ip_address(result["host"]))
            if problem is None:
                kept.append(result)
            else:
                refusals.append(f"{result['host']}, {problem}")
        if not kept:
            raise AddressRefused(f"{host} resolves to {'; '.join(refusals) or 'no address'}")
        return kept

    async def close(self) -> None:
        await self._resolver.close()
