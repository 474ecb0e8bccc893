"""A loopback forward proxy that applies the outbound policy to a browser.

Chromium follows redirects, loads subresources and opens frames on its own; request
interception sees only the first URL of a redirect chain. So the browsers that open
untrusted pages (the evidence screenshot, the app landing page) are started with this
proxy: every connection they make — plain HTTP requests and CONNECT tunnels for HTTPS and
WebSockets — is resolved here, checked by ``NetPolicy`` and made to the checked address
(no second lookup to rebind). A refusal answers ``403`` with the reason and is recorded in
``refused``, so the capture can say which URL was not fetched.

Run it in a thread beside a synchronous caller (``with PolicyProxy(policy) as proxy``) or
inside a running event loop (``await proxy.astart()``).
"""
from __future__ import annotations

import asyncio
import threading
from urllib.parse import urlsplit

from spiders.netpolicy import NetPolicy, OutboundRefused, aresolve

MAX_HEAD = 64 * 1024
CONNECT_TIMEOUT = 30.0


class PolicyProxy:
    def __init__(self, policy: NetPolicy):
        self.policy = policy
        self.refused: list[str] = []
        self.port = 0
        self._server: asyncio.AbstractServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def server(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def playwright(self) -> dict:
        """The ``proxy=`` argument for Playwright's ``launch`` (loopback targets too: Playwright
        makes Chromium send them through the proxy rather than bypass it)."""
        return {"server": self.server}

    # ── lifecycle ───────────────────────────────────────────────────────────────────────
    async def astart(self) -> "PolicyProxy":
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def __enter__(self) -> "PolicyProxy":
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self.astart())
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self.aclose())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="policy-proxy", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    # ── one client connection ───────────────────────────────────────────────────────────
    async def _connect(self, url: str, host: str, port: int):
        """Check and open a connection to ``host:port`` at an allowed address."""
        why, name = self.policy.url_refusal(url)
        address = host.strip("[]")
        if why is None and name is not None:
            addresses = await aresolve(name)
            if not addresses:
                raise OSError(f"cannot resolve {name}")
            why = self.policy.addresses_refusal(name, addresses)
            address = addresses[0]
        if why:
            raise OutboundRefused(url, why)
        return await asyncio.wait_for(asyncio.open_connection(address, port), CONNECT_TIMEOUT)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        if len(head) > MAX_HEAD:
            writer.close()
            return
        request_line, _, rest = head.partition(b"\r\n")
        try:
            method, target, version = request_line.decode("latin-1").split(" ", 2)
        except ValueError:
            writer.close()
            return
        try:
            if method.upper() == "CONNECT":
                host, _, port = target.rpartition(":")
                url = f"https://{target}/"
                upstream_r, upstream_w = await self._connect(url, host, int(port or 443))
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                url = target
                parts = urlsplit(target)
                upstream_r, upstream_w = await self._connect(url, parts.hostname or "",
                                                             parts.port or (443 if parts.scheme == "https" else 80))
                path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                headers = [h for h in rest.split(b"\r\n") if h and not h.lower().startswith(
                    (b"proxy-", b"connection:", b"keep-alive:"))]
                # One request per connection: the browser opens another for the next one.
                upstream_w.write(f"{method} {path} {version}\r\n".encode("latin-1") + b"\r\n".join(headers)
                                 + b"\r\nConnection: close\r\n\r\n")
        except OutboundRefused as exc:
            self.refused.append(str(exc))
            await self._refuse(writer, 403, str(exc))
            return
        except (OSError, asyncio.TimeoutError, ValueError) as exc:
            await self._refuse(writer, 502, f"proxy could not connect: {exc}")
            return
        await asyncio.gather(_pipe(reader, upstream_w), _pipe(upstream_r, writer), return_exceptions=True)

    @staticmethod
    async def _refuse(writer: asyncio.StreamWriter, status: int, text: str) -> None:
        body = text.encode("utf-8")
        writer.write(f"HTTP/1.1 {status} {'Forbidden' if status == 403 else 'Bad Gateway'}\r\n"
                     f"Content-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
                     "Connection: close\r\n\r\n".encode("latin-1") + body)
        try:
            await writer.drain()
        finally:
            writer.close()


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            dst.close()
        except Exception:  # already closed by the other direction
            pass
