"""Peak memory of client and server while streaming one large `blob` (a fresh process, so the
client's high-water mark is this measurement's own)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from serbench.codecs import get_codec
from serbench.payloads import make_payload
from serbench.transport.framing import send_frame
from serbench.transport.server_process import ServerProcess


def vm_hwm_bytes(pid: int | str = "self") -> int:
    """A process's peak resident set size (VmHWM) in bytes, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def measure(blob_bytes: int, codec: str = "pickle", transport: str = "uds",
            frames: int = 3) -> dict[str, Any]:
    """Run the probe in a new interpreter; returns payload size and both peaks in bytes."""
    proc = subprocess.run(
        [sys.executable, "-m", "serbench.extensions.harness.memory", str(blob_bytes), codec,
         transport, str(frames)], capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"memory probe failed: {proc.stderr.strip()[-500:]}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def _probe(blob_bytes: int, codec_name: str, transport: str, frames: int) -> dict[str, Any]:

    codec = get_codec(codec_name)
    baseline = vm_hwm_bytes()
    obj = make_payload(f"blob:{blob_bytes}").obj
    with ServerProcess(codec_name, transport, max_frame=blob_bytes + 2**20) as server:
        assert server.pid is not None
        server_baseline = vm_hwm_bytes(server.pid)
        with server.connect(timeout_s=120) as conn:
            conn.start_stream(1)
            for _ in range(frames):
                send_frame(conn.sock, codec.encode(obj))
                conn.read_ack()
            server_peak = vm_hwm_bytes(server.pid)
    return {"codec": codec_name, "transport": transport, "frames": frames,
            "payload_bytes": blob_bytes, "client_peak_bytes": vm_hwm_bytes(),
            "client_baseline_bytes": baseline, "server_peak_bytes": server_peak,
            "server_baseline_bytes": server_baseline}


if __name__ == "__main__":
    size, name, kind, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    print(json.dumps(_probe(size, name, kind, count)))
