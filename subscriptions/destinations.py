"""Where a subscription may send: no server-side request forgery.

A URL is refused when its host resolves to a loopback, private, link-local,
shared, multicast, reserved or cloud-metadata address, unless that address is
inside ``SUBSCRIPTION_ALLOWED_NETWORKS``; checked at creation and again before
every attempt (DNS can change). Plain http is allowed only inside those networks.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class DestinationRefused(ValueError):
    """The URL may not be sent to; the message says why (never resolving it for the caller's benefit)."""


def allowed_networks():
    cidrs = [cidr.strip() for cidr in settings.SUBSCRIPTION_ALLOWED_NETWORKS]
    return [ipaddress.ip_network(cidr, strict=False) for cidr in cidrs if cidr]


def _public(address):
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_url(url):
    """The URL's addresses when it may be sent to; DestinationRefused otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise DestinationRefused("is not a valid URL.") from None
    if parts.scheme not in ("https", "http"):
        raise DestinationRefused("must be an https URL.")
    if parts.username is not None or parts.password is not None:
        raise DestinationRefused("must not carry a user name or password.")
    if not parts.hostname:
        raise DestinationRefused("has no host.")
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        raise DestinationRefused(f"host {parts.hostname!r} does not resolve.") from None
    networks = allowed_networks()
    addresses = {ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos}
    inside = {address for address in addresses if any(address in network for network in networks)}
    for address in addresses - inside:
        if not _public(address):
            raise DestinationRefused(
                f"host {parts.hostname!r} resolves to a non-public address ({address}); "
                "allow its network in SUBSCRIPTION_ALLOWED_NETWORKS to send there."
            )
    if parts.scheme == "http" and inside != addresses:
        raise DestinationRefused("must be https (plain http only inside SUBSCRIPTION_ALLOWED_NETWORKS).")
    return sorted(addresses, key=str)
