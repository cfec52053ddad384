"""Which address a per-client budget is charged to: the peer, unless the peer is our own proxy."""
from __future__ import annotations

import pytest

from core.client_address import client_address, parse_networks

PROXIES = parse_networks("10.0.0.0/8, 2001:db8:ffff::1")


def test_the_peer_is_the_client_when_no_proxy_is_trusted():
    assert client_address("203.0.113.9", "198.51.100.1", ()) == "203.0.113.9"


def test_forwarded_for_from_an_untrusted_peer_is_ignored():
    assert client_address("203.0.113.9", "198.51.100.1", PROXIES) == "203.0.113.9"


def test_behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client():
    # The leftmost entry is whatever the client wrote; only our proxies' entries are believed.
    assert client_address("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.5", PROXIES) == "198.51.100.7"
    assert client_address("2001:db8:ffff::1", "198.51.100.7", PROXIES) == "198.51.100.7"


def test_garbage_in_the_chain_stops_at_the_last_readable_hop():
    assert client_address("10.0.0.2", "nonsense, 10.0.0.3", PROXIES) == "10.0.0.3"
    assert client_address("10.0.0.2", "", PROXIES) == "10.0.0.2"


def test_ipv4_mapped_peers_match_ipv4_proxies():
    assert client_address("::ffff:10.0.0.2", "198.51.100.7", PROXIES) == "198.51.100.7"


def test_a_malformed_trusted_proxy_setting_is_refused():
    with pytest.raises(ValueError):
        parse_networks("10.0.0.0/8, not-an-address")


def test_ipv6_clients_share_a_budget_per_64_and_ipv4_clients_per_address():
    from auth.sms_budgets import client_key

    assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9") != client_key("2001:db8:1:3::1")
    assert client_key("198.51.100.7") != client_key("198.51.100.8")
