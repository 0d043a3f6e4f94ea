"""Test servers as child processes (storescp, wlmscpfs, small pynetdicom SCPs): started
and waited for until they listen on their loopback port, stopped by PID. Every wait is
bounded."""

import socket
import subprocess
import time

READY_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0


def start_listening(argv: list[str], port: int, name: str,
                    env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Run ``argv`` and return once something listens on 127.0.0.1:``port``; stop it and
    raise RuntimeError when nothing does within READY_TIMEOUT_S."""
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.02)
    stop_process(process)
    raise RuntimeError(f"{name} did not listen on port {port}")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate by PID; kill when it does not exit in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_S)
