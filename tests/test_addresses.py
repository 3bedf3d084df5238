"""fetch/addresses.py: what --exclude-private refuses (the IANA special-purpose registries)."""

from __future__ import annotations

import pytest

from citecheck.fetch.addresses import is_refused_address


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
        "100.64.0.1", "100.100.100.200", "100.127.255.254",  # all of the shared space
        "0.0.0.0", "192.0.0.170", "192.0.2.5", "198.51.100.7", "203.0.113.9",  # docs
        "198.18.0.1", "198.19.255.255",  # benchmarking
        "224.0.0.1", "240.0.0.1", "255.255.255.255", "192.88.99.1",
        "::1", "::", "fe80::1%eth0", "fc00::1", "fd00:ec2::254", "ff02::1", "fec0::1",
        "2001:db8::1", "3fff::1", "2001:2::1", "100::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1",  # IPv4-mapped
        "64:ff9b::7f00:1", "64:ff9b::a00:1", "64:ff9b::6440:1",  # NAT64 of refused IPv4
        "64:ff9b:1::1",  # local-use translation
        "2002:7f00:1::", "2002:a00:1::1", "2002:808:808::1",  # 6to4, whole
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo, whole
        "not an address",
    ],
)  # fmt: skip
def test_special_purpose_addresses_are_refused(address: str) -> None:
    assert is_refused_address(address)


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "198.20.0.1", "2606:4700::1111",
     "::ffff:8.8.8.8", "64:ff9b::808:808", "2a00:1450:4001::200e"],
)  # fmt: skip
def test_public_addresses_are_allowed(address: str) -> None:
    assert not is_refused_address(address)
