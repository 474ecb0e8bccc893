"""Annex §13 IPv6: does the download host resolve to IPv6 (AAAA) and accept a real IPv6
connection? ``supported`` / ``not_supported`` / ``cannot_test``.

``cannot_test`` whenever this machine cannot make IPv6 connections to where the host lives
(no IPv6 route, or an unreachable network): "not supported" is said only after an attempt
that this machine could have made succeed. Loopback: ``localhost`` resolves to ``::1`` and is
connected to like any host (supported when a server listens on ::1). An IPv4 literal
(``127.0.0.1`` for the sandbox) has no name to look up: loopback literals are
``cannot_test``; other IPv4 literals are ``not_supported`` (the registered URL pins IPv4).
"""
from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket

SUPPORTED, NOT_SUPPORTED, CANNOT_TEST = "supported", "not_supported", "cannot_test"
_REFERENCE_V6 = ("2400:3200::1", 53)  # any global address: UDP connect sends no packet
_NO_ROUTE = {errno.ENETUNREACH, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT, errno.EHOSTUNREACH}
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def has_ipv6_route(to_loopback: bool = False) -> bool:
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    except OSError:
        return False
    try:
        s.connect(("::1", 9) if to_loopback else _REFERENCE_V6)
        return True
    except OSError:
        return False
    finally:
        s.close()


async def aaaa(host: str) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, family=socket.AF_INET6, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return sorted({info[4][0] for info in infos})


async def ipv6_support(host: str, port: int, timeout: float = 5.0) -> tuple[str, str]:
    """(verdict, detail) for ``host:port``."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None and literal.version == 4:
        if literal.is_loopback:
            return CANNOT_TEST, f"{host} is an IPv4 loopback literal (sandbox): nothing to resolve"
        if not has_ipv6_route():
            return CANNOT_TEST, "this machine has no IPv6 route"
        return NOT_SUPPORTED, f"the URL pins the IPv4 address {host}"
    addrs = [str(literal)] if literal is not None else await aaaa(host)
    loopback = bool(addrs) and all(ipaddress.ip_address(a).is_loopback for a in addrs)
    if not has_ipv6_route(to_loopback=loopback):
        return CANNOT_TEST, "this machine has no IPv6 route"
    if not addrs:
        return NOT_SUPPORTED, f"{host} has no AAAA record"
    notes = []
    for addr in addrs:
        if ipaddress.ip_address(addr) in NAT64:
            notes.append(f"{addr} is a DNS64-synthesised address")
            continue
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(addr, port, family=socket.AF_INET6), timeout)
            writer.close()
            return SUPPORTED, f"TCP over IPv6 to [{addr}]:{port} connected"
        except OSError as exc:
            if exc.errno in _NO_ROUTE:
                return CANNOT_TEST, f"no IPv6 path from this machine to [{addr}] ({exc.strerror})"
            notes.append(f"[{addr}]:{port} {exc.strerror or exc}")
        except asyncio.TimeoutError:
            notes.append(f"[{addr}]:{port} timed out")
    if notes and all("DNS64" in n for n in notes):
        return NOT_SUPPORTED, "; ".join(notes)
    return NOT_SUPPORTED, "AAAA present but no IPv6 connection: " + "; ".join(notes)
