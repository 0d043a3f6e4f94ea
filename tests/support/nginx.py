"""nginx serving the OHIF web viewer and Orthanc's DICOMweb from one origin.

Like a cloud's own viewer, one address serves both: ``/`` is OHIF's ``dist/`` (any path that
is not a file falls back to ``index.html``, since OHIF routes in the browser),
``/app-config.js`` is our configuration, and ``/dicom-web/`` goes to Orthanc with an
``Authorization`` header added here (standing in for the cloud viewer's own sign-in).
``Host`` and ``Forwarded`` are passed on so that the URLs Orthanc writes into its answers
(RetrieveURL, BulkDataURI) point back at nginx, not at Orthanc's own port.

nginx binds 127.0.0.1 only, runs in the foreground with its config, logs, PID file and
temporary folders in one test folder, and is stopped by its PID. As root it needs
``user root;``, or its workers could not read folders of mode 700 (pytest's tmp_path).
"""

import base64
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

READY_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0
PACKAGE = "nginx-light"


def nginx_binary() -> str | None:
    """The nginx program, or None when it is not installed."""
    return shutil.which("nginx", path="/usr/sbin:/usr/bin:/usr/local/sbin") \
        or shutil.which("nginx")


def _quoted(text: str) -> str:
    """A string as an nginx config token (double-quoted, escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def viewer_config(folder: Path, port: int, dist: Path, app_config: Path,
                  upstream: str, username: str, password: str) -> str:
    """The text of nginx.conf for the viewer site (see the module's docstring)."""
    basic = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
daemon off;
pid {_quoted(str(folder / "nginx.pid"))};
error_log {_quoted(str(folder / "error.log"))} warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {_quoted(str(folder / "access.log"))};
    client_body_temp_path {_quoted(str(temp["body"]))};
    proxy_temp_path {_quoted(str(temp["proxy"]))};
    fastcgi_temp_path {_quoted(str(temp["fastcgi"]))};
    uwsgi_temp_path {_quoted(str(temp["uwsgi"]))};
    scgi_temp_path {_quoted(str(temp["scgi"]))};
    sendfile on;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {_quoted(str(dist))};
        location = /app-config.js {{
            alias {_quoted(str(app_config))};
            add_header Cache-Control no-store;
        }}
        location /dicom-web/ {{
            proxy_pass {upstream}/dicom-web/;
            proxy_http_version 1.1;
            proxy_set_header Authorization "Basic {basic}";
            proxy_set_header Host $http_host;
            proxy_set_header Forwarded "host=$http_host;proto=$scheme";
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_buffering off;
            proxy_read_timeout 60s;
        }}
        location / {{
            try_files $uri /index.html;
        }}
    }}
}}
"""


class Nginx:
    """One nginx process over a test folder, started and stopped by its PID."""

    def __init__(self, folder: Path, port: int, config_text: str) -> None:
        self.folder = folder
        self.port = port
        self.config = folder / "nginx.conf"
        self.log = folder / "nginx.out"
        self.process: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (folder / name).mkdir(exist_ok=True)
        self.config.write_text(config_text, encoding="utf-8")

    @property
    def origin(self) -> str:
        """The address the browser uses, e.g. http://127.0.0.1:8080."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Check the config, start nginx and wait until its port accepts (at most 10 s)."""
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError(f"nginx is not installed (Debian package: {PACKAGE})")
        argv = [binary, "-p", str(self.folder), "-c", str(self.config),
                "-e", str(self.folder / "error.log")]
        checked = subprocess.run([*argv, "-t", "-q"], capture_output=True, text=True,
                                 timeout=STOP_TIMEOUT_S, check=False)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx refused its config {self.config}: {checked.stderr}")
        with open(self.log, "ab") as log:
            # Its own process group: the workers can be killed with it if it hangs.
            self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited at start ({self.process.returncode}): "
                                   f"{self.error_log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not listen on {self.port} within {READY_TIMEOUT_S} s")

    def stop(self) -> None:
        """Stop nginx by its PID: SIGTERM (fast shutdown, workers too), wait; if it hangs,
        kill its process group (master and workers)."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT_S)

    def error_log_tail(self, chars: int = 2000) -> str:
        """The end of nginx's error log (for failure messages)."""
        try:
            return (self.folder / "error.log").read_text(errors="replace")[-chars:]
        except OSError:
            return ""
