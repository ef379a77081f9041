"""The client address behind trusted proxies, as the login throttle counts it."""

import pytest

from bot.web.client_address import client_address, parse_networks

BALANCER = parse_networks("127.0.0.1, 10.1.0.0/16")


def test_without_trusted_proxies_the_peer_is_the_client():
    assert client_address("10.1.0.5", ["203.0.113.7"], ()) == "10.1.0.5"


def test_a_trusted_proxy_names_the_client():
    assert client_address("127.0.0.1", ["203.0.113.7"], BALANCER) == "203.0.113.7"


def test_what_the_client_wrote_herself_is_not_believed():
    # she sent "X-Forwarded-For: 198.51.100.1"; the balancer appended her address
    forwarded = ["198.51.100.1, 203.0.113.7"]
    assert client_address("127.0.0.1", forwarded, BALANCER) == "203.0.113.7"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right():
    forwarded = ["203.0.113.7, 10.1.2.3"]
    assert client_address("127.0.0.1", forwarded, BALANCER) == "203.0.113.7"
    assert client_address("127.0.0.1", ["203.0.113.7", "10.1.2.3"], BALANCER) == (
        "203.0.113.7"
    )


def test_a_header_from_an_untrusted_peer_is_ignored():
    assert client_address("198.51.100.9", ["203.0.113.7"], BALANCER) == "198.51.100.9"


def test_garbage_stops_at_the_nearest_proxy():
    assert client_address("127.0.0.1", ["not-an-ip"], BALANCER) == "127.0.0.1"
    assert client_address("127.0.0.1", [], BALANCER) == "127.0.0.1"


def test_a_bad_network_is_named():
    with pytest.raises(ValueError, match="10.0.0.300"):
        parse_networks("127.0.0.1, 10.0.0.300")
    assert parse_networks(" ") == ()
