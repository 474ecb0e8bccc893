"""The monitor.toml lines that point the product at a running sandbox, every platform (the
app stores included), printed by ``monitor sandbox`` and shown in the README."""
from __future__ import annotations

import json

from monitor.sandbox.server import platform_config

LOOPBACK = ("127.0.0.0/8", "::1/128")


def sandbox_toml(base_url: str) -> str:
    lines = [f"# monitor.toml: point every platform at the sandbox on {base_url}"]
    for name, section in platform_config(base_url)["platforms"].items():
        lines.append(f"[platforms.{name}]")
        # JSON string escapes are valid TOML basic strings.
        lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in section.items()]
    # The outbound policy refuses loopback unless allowed: the sandbox lives there.
    lines += ["[crawl]", f"allow_networks = {json.dumps(list(LOOPBACK))}"]
    return "\n".join(lines) + "\n"
