"""Which IP addresses ``--exclude-private`` (``exclude.private``) keeps citecheck away from.

Every range of the IANA IPv4 and IPv6 Special-Purpose Address Registries
(https://www.iana.org/assignments/iana-ipv4-special-registry,
https://www.iana.org/assignments/iana-ipv6-special-registry, as of 2025), plus
multicast, the old site-local range and the cloud metadata addresses. The
registries also list a few globally reachable ranges (AS112, AMT, ORCHIDv2); no
cited page lives there, so they are refused too: the rule is "nothing special".

IPv6 forms that carry an IPv4 address are judged by that address: IPv4-mapped
(``::ffff:127.0.0.1``) and NAT64 (``64:ff9b::7f00:1``; a DNS64 network hands out
such addresses for every IPv4 site, so the prefix itself cannot be refused). The
deprecated tunnelling prefixes 6to4 (``2002::/16``, which embeds an IPv4 address)
and Teredo (``2001::/32``, inside the IETF block ``2001::/23``) are refused whole,
as are IPv4-compatible addresses (``::/96``).

Pure: an address in, a bool out.
"""

from __future__ import annotations

import ipaddress

__all__ = ["is_refused_address"]

_IPV4_SPECIAL = tuple(
    ipaddress.IPv4Network(block)
    for block in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # shared address space (carrier-grade NAT; Alibaba's metadata)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local (AWS, GCP, Azure metadata)
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments (DS-Lite, PCP, TURN, NAT64 discovery)
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "192.31.196.0/24",  # AS112-v4
        "192.52.193.0/24",  # AMT
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "192.168.0.0/16",  # private
        "192.175.48.0/24",  # direct delegation AS112 service
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation (TEST-NET-2)
        "203.0.113.0/24",  # documentation (TEST-NET-3)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and 255.255.255.255 limited broadcast
    )
)
_IPV6_SPECIAL = tuple(
    ipaddress.IPv6Network(block)
    for block in (
        "::/96",  # unspecified, loopback, deprecated IPv4-compatible
        "64:ff9b:1::/48",  # local-use IPv4/IPv6 translation
        "100::/64",  # discard-only
        "100:0:0:1::/64",  # dummy IPv6 prefix
        "2001::/23",  # IETF protocol assignments: Teredo, benchmarking, AMT, AS112, ORCHID
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4
        "2620:4f:8000::/48",  # direct delegation AS112 service
        "3fff::/20",  # documentation
        "5f00::/16",  # segment routing (SRv6) SIDs
        "fc00::/7",  # unique local (fd00:ec2::254 is AWS's metadata)
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
    )
)
_IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip in _IPV4_MAPPED or ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_refused_address(address: str) -> bool:
    """True for an address ``exclude_private`` refuses (``fe80::1%eth0`` included);
    also True for text that is not an IP address, so a surprise is never allowed."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return any(embedded in block for block in _IPV4_SPECIAL)
        return any(ip in block for block in _IPV6_SPECIAL)
    return any(ip in block for block in _IPV4_SPECIAL)
