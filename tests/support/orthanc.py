"""A real Orthanc (with its DICOMweb plugin) for the upload tests and the benchmark.

Orthanc binds every interface, so it only runs inside the private network namespace
that ``scripts/isolated.sh`` makes (loopback only). It is started with authentication on,
storage in a temporary folder, free ports, and ``TCP_NODELAY=1`` in its environment; it
is stopped by its PID (terminate, wait, kill). Every loop here is bounded.
"""

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import requests

ORTHANC = Path("/usr/sbin/Orthanc")
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
NAMESPACE_REASON = "run through {} (needs root for a private network namespace)"
READY_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0


def namespace_problem(command: str = "make test") -> str | None:
    """Why servers may not run here, or None inside the loopback-only namespace
    (``command`` is what to run instead, in the reason).

    ``/sys/class/net`` is not a test: sysfs is not remounted by ``unshare -n``, so it keeps
    listing the host's interfaces. ``socket.if_nameindex()`` asks the kernel about this
    process' own network namespace.
    """
    reason = NAMESPACE_REASON.format(command)
    if os.environ.get("LIGHTBOX_NETNS") != "1":
        return f"no private network namespace: {reason}"
    interfaces = sorted(name for _, name in socket.if_nameindex())
    if interfaces != ["lo"]:
        return f"the network namespace has interfaces {interfaces}, not only loopback: {reason}"
    return None


def orthanc_problem(command: str = "make test") -> str | None:
    """Why Orthanc cannot be started here, or None."""
    problem = namespace_problem(command)
    if problem:
        return problem
    if not ORTHANC.is_file():
        return "Orthanc is not installed (Debian package: orthanc)"
    if not DICOMWEB_PLUGIN.is_file():
        return "Orthanc's DICOMweb plugin is not installed (Debian package: orthanc-dicomweb)"
    return None


def free_port() -> int:
    """A TCP port nobody listens on right now (on loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Orthanc:
    """One Orthanc process over a folder that keeps its storage across restarts."""

    def __init__(self, folder: Path, username: str = "lightbox",
                 password: str = "orthanc-Pa55-word") -> None:
        self.folder = folder
        self.username = username
        self.password = password
        self.http_port = free_port()
        self.dicom_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = folder / "orthanc.log"
        self.config = folder / "orthanc.json"
        folder.mkdir(parents=True, exist_ok=True)
        self.config.write_text(json.dumps({
            "Name": "LIGHTBOX-TEST",
            "StorageDirectory": str(folder / "storage"),
            "IndexDirectory": str(folder / "index"),
            "Plugins": [str(DICOMWEB_PLUGIN)],
            "HttpPort": self.http_port,
            "DicomPort": self.dicom_port,
            "DicomAet": "LIGHTBOXTEST",
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": True,
            "RegisteredUsers": {username: password},
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
            "DicomAlwaysAllowStore": True,
            "SaveJobs": False,
            "HttpTimeout": 60,
        }, indent=1), encoding="utf-8")
        self.session = requests.Session()
        self.session.auth = (username, password)

    @property
    def base(self) -> str:
        """The REST root, e.g. http://127.0.0.1:8042."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def dicomweb(self) -> str:
        """The DICOMweb root an account points at."""
        return f"{self.base}/dicom-web"

    def start(self) -> None:
        """Start Orthanc (again) and wait until its REST API answers, at most 20 s."""
        if self.process is not None and self.process.poll() is None:
            return
        env = dict(os.environ, TCP_NODELAY="1")
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [str(ORTHANC), str(self.config)], stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=env,
            )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Orthanc exited at start ({self.process.returncode}); "
                                   f"see {self.log}:\n{self._log_tail()}")
            try:
                if self.session.get(f"{self.base}/system", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"Orthanc did not answer within {READY_TIMEOUT_S} s; see {self.log}")

    def kill(self) -> None:
        """Kill Orthanc at once (SIGKILL), as a crash or a power cut would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT_S)

    def stop(self) -> None:
        """Stop Orthanc by its PID: terminate, wait, then kill."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)

    def close(self) -> None:
        """Stop the server and drop the REST session."""
        self.stop()
        self.session.close()

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-2000:]
        except OSError:
            return ""

    # -- what the server holds, asked over its own REST API -------------------------
    def _get(self, path: str, **kwargs: Any) -> requests.Response:
        response = self.session.get(self.base + path, timeout=30, **kwargs)
        response.raise_for_status()
        return response

    def qido_instances(self, study_uid: str) -> set[str]:
        """SOP Instance UIDs QIDO-RS lists for a study (GET .../studies/UID/instances)."""
        response = self._get(f"/dicom-web/studies/{study_uid}/instances",
                             headers={"Accept": "application/dicom+json"})
        if response.status_code == 204 or not response.content:
            return set()
        return {str(item["00080018"]["Value"][0]) for item in response.json()}

    def instance_count(self) -> int:
        """How many instances Orthanc stores in all."""
        return int(self._get("/statistics").json()["CountInstances"])

    def study_ids(self) -> list[str]:
        """Orthanc's own identifiers of every study it holds."""
        return [str(s) for s in self._get("/studies").json()]

    def delete_everything(self) -> None:
        """Delete every study (DELETE /studies/{id}), so the next upload is new work."""
        for study in self.study_ids():
            self.session.delete(f"{self.base}/studies/{study}", timeout=60).raise_for_status()

    def stored_bytes(self, sop_instance_uid: str) -> bytes:
        """The file Orthanc stored for an instance."""
        found = self.session.post(f"{self.base}/tools/lookup", data=sop_instance_uid,
                                  timeout=30)
        found.raise_for_status()
        ids = [item["ID"] for item in found.json() if item.get("Type") == "Instance"]
        if not ids:
            raise KeyError(sop_instance_uid)
        return self._get(f"/instances/{ids[0]}/file").content
