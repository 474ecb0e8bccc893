"""The outbound policy (``spiders.netpolicy``) for every Scrapy request.

Two places, because either alone leaves a gap:
- ``OutboundPolicyMiddleware`` (first in the downloader chain) checks each request before it
  is sent — start requests, every redirect hop (RedirectMiddleware sends a new request
  through the chain) and the app-check transport's requests — and refuses it with a
  ``RefusedRequest`` whose message names the URL and the address, which the spiders record
  as the observation's reason (outcome ``error``; app checks ``unknown``).
- ``PolicyResolver`` (``TWISTED_DNS_RESOLVER``) filters the addresses Twisted is about to connect
  to, so a name that resolved to a public address for the middleware and to 127.0.0.1 a
  moment later (DNS rebinding) still cannot be reached.

Setting: ``OUTBOUND_ALLOW_NETWORKS`` (list of CIDRs, from ``[crawl] allow_networks``).
"""
from __future__ import annotations

import logging

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingHostnameResolver
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
from zope.interface import implementer, provider

from spiders.netpolicy import NetPolicy, OutboundRefused, aresolve

log = logging.getLogger(__name__)


class RefusedRequest(IgnoreRequest, OutboundRefused):
    """Scrapy's "drop this request" carrying the policy's reason."""

    def __init__(self, url: str, reason: str):
        OutboundRefused.__init__(self, url, reason)


def policy_from_settings(settings) -> NetPolicy:
    return NetPolicy.from_cidrs(settings.getlist("OUTBOUND_ALLOW_NETWORKS") or [])


class OutboundPolicyMiddleware:
    def __init__(self, policy: NetPolicy):
        self.policy = policy
        self._resolved: dict[str, list[str]] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(policy_from_settings(crawler.settings))

    async def process_request(self, request, spider=None):
        why, host = self.policy.url_refusal(request.url)
        if why is None and host is not None:
            if host not in self._resolved:
                self._resolved[host] = await aresolve(host)
            why = self.policy.addresses_refusal(host, self._resolved[host])
        if why:
            log.warning("refused by outbound policy: %s: %s", request.url, why)
            raise RefusedRequest(request.url, why)
        return None


@provider(IResolutionReceiver)
class _AllowedOnly:
    def __init__(self, receiver, host: str, policy: NetPolicy):
        self.receiver, self.host, self.policy = receiver, host, policy

    def resolutionBegan(self, resolution) -> None:
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address) -> None:
        why = self.policy.address_refusal(getattr(address, "host", ""))
        if why:
            # Reached only when the name changed its answer after the middleware's check.
            log.warning("refused by outbound policy at connect time: %s resolves to %s", self.host, why)
            return
        self.receiver.addressResolved(address)

    def resolutionComplete(self) -> None:
        self.receiver.resolutionComplete()


@implementer(IHostnameResolver)
class PolicyResolver(CachingHostnameResolver):
    """Scrapy's caching resolver (IPv4 and IPv6), passing on only allowed addresses."""

    policy = NetPolicy()

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        resolver.policy = policy_from_settings(crawler.settings)
        return resolver

    def install_on_reactor(self) -> None:
        current = self.reactor.nameResolver
        if isinstance(current, PolicyResolver):  # one per crawler in a process: never stack them
            self.original_resolver = current.original_resolver
        self.reactor.installNameResolver(self)

    def resolveHostName(self, resolutionReceiver, hostName, portNumber=0, addressTypes=None,
                        transportSemantics="TCP"):
        return super().resolveHostName(_AllowedOnly(resolutionReceiver, hostName, self.policy), hostName,
                                       portNumber, addressTypes, transportSemantics)
