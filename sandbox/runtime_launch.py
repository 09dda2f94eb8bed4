"""How the sandbox starts a runtime's code so that it must keep AgentCore Runtime's contract, not the
sandbox's convenience, while many runtimes (and test workers) share one machine.

- Port: the code must listen on protocolConfiguration.port, default 8000 for MCP (botocore
  ProtocolConfiguration: "between 8000 and 12000 ... 8000 for MCP"; devguide
  "runtime-mcp-protocol-contract": 0.0.0.0:8000/mcp). The process is started through LAUNCHER, which
  maps a bind to that port (any address) onto a free loopback port the sandbox chose, and refuses a bind
  to any other port on a non-loopback address: code that listens elsewhere fails to start, as on AWS
  nothing would reach it.
- PORT: whether the Runtime sets it, and to what, is UNCONFIRMED; the sandbox sets it to DECOY_PORT (the
  stricter reading: a value that is not the contract's), so code that trusts PORT fails here first.
- Host: which Host header the Runtime forwards is UNCONFIRMED. The sandbox forwards the public name
  clients address, `bedrock-agentcore.<region>.amazonaws.com` (`public_host`), never loopback, so a
  server that admits only loopback Host names answers 421 here as it would there.
"""

from __future__ import annotations

from typing import Any

CONTRACT_PORT_VARIABLE = "SANDBOX_CONTRACT_PORT"
"""For LAUNCHER only: `<contract port>:<loopback port>` (removed from the environment before the code runs)."""
DECOY_PORT = "8081"
DEFAULT_PORTS = {"MCP": 8000, "HTTP": 8080, "AGUI": 8080, "A2A": 9000}
"""botocore ProtocolConfiguration.port: "When this field is omitted, the default is 8080 for HTTP and AGUI, 8000
for MCP, and 9000 for A2A"; no protocolConfiguration at all is HTTP."""
LAUNCHER_FILE = "sandbox_launch.py"

LAUNCHER = '''"""Sandbox launcher (not part of the artifact): runs the entry point with binds mapped, see
sandbox/runtime_launch.py."""
import ipaddress
import os
import runpy
import socket
import sys

contract, loopback = (int(part) for part in os.environ.pop("SANDBOX_CONTRACT_PORT").split(":"))
_bind = socket.socket.bind


def _is_loopback(host):
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def bind(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        host, port = address[0], address[1]
        if port == contract:
            local = "127.0.0.1" if self.family == socket.AF_INET else "::1"
            return _bind(self, (local, loopback, *address[2:]))
        if port and not _is_loopback(host):
            raise OSError(99, f"sandbox Runtime: only port {contract} is served (the protocolConfiguration port), "
                          f"not {host}:{port}")
    return _bind(self, address)


socket.socket.bind = bind
entry = sys.argv[1]
sys.argv = sys.argv[1:]
sys.path[0] = os.getcwd()
runpy.run_path(entry, run_name="__main__")
'''


def contract_port(document: dict[str, Any]) -> int:
    """The port the version's code must listen on."""
    configuration = document.get("protocolConfiguration") or {}
    port = configuration.get("port")
    return int(port) if isinstance(port, int) else DEFAULT_PORTS[configuration.get("serverProtocol") or "HTTP"]


def public_host(region: str) -> str:
    return f"bedrock-agentcore.{region}.amazonaws.com"
