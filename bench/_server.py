"""Start and stop the servers a benchmark drives (uvicorn processes on free local ports)."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

__all__ = ["free_port", "start", "stop"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    command: list[str], env: dict[str, str], probe: str, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Run ``command`` (in ``cwd``) and wait up to 60 s until ``probe`` answers any status."""
    server = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(probe, timeout=1)
                return server
            except urllib.error.HTTPError:
                return server  # an HTTP status: the server answers
            except OSError as e:
                if server.poll() is not None:
                    stderr = server.stderr.read().decode() if server.stderr else ""
                    raise SystemExit(f"server exited: {stderr}") from e
                time.sleep(0.1)
        raise SystemExit(f"server did not answer at {probe}")
    except BaseException:
        stop(server)  # interrupted or failed: leave no server behind
        raise


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop ``server`` (SIGTERM, then SIGKILL after 20 s)."""
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
