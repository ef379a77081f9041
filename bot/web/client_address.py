"""The client's address behind trusted proxies (the load balancer).

A request from a trusted proxy names the client in X-Forwarded-For; each proxy
appends the address it was called from, so the client is the rightmost address that
is not a trusted proxy (addresses further left were written by the client and prove
nothing). A request from anyone else is its own client: a forwarded header from an
untrusted peer is ignored. aiohttp-remotes' strict mode was not used: it refuses
every request whose hop count differs from the configured one, which includes the
balancer's own health checks and clients that send a header of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

Network = IPv4Network | IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """ "10.0.0.0/8, 127.0.0.1" -> networks; a bad entry raises ValueError naming it."""
    networks = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            networks.append(ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"not an address or network: {part!r}") from None
    return tuple(networks)


def client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]
) -> str:
    """`forwarded_for`: every X-Forwarded-For header's value, in order."""
    current = peer or "unknown"
    if not trusted or not _trusted(current, trusted):
        return current
    hops = [h.strip() for value in forwarded_for for h in value.split(",")]
    for hop in reversed([h for h in hops if h]):
        try:
            ip_address(hop)
        except ValueError:
            return current  # garbage: the nearest proxy is all we know
        current = hop
        if not _trusted(hop, trusted):
            return hop
    return current


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)
