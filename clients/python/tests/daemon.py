"""The built deltastored as a process, for the tests: each instance gets its
own short temporary directory (a socket path must fit in 107 bytes), socket,
SQLite file and JWT key file, and can be stopped, killed, paused and restarted
on the same socket and store."""
from __future__ import annotations

import base64
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import List, Optional

REPOSITORY = Path(__file__).resolve().parents[3]


def daemon_binary() -> Path:
    """``$DELTASTORE_BIN_DIR/deltastored``, else the one ``swift build`` made."""
    bin_dir = os.environ.get("DELTASTORE_BIN_DIR")
    if not bin_dir:
        bin_dir = subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPOSITORY, check=True,
                                 capture_output=True, text=True).stdout.strip()
    binary = Path(bin_dir) / "deltastored"
    if not os.access(binary, os.X_OK):
        raise RuntimeError(f"{binary} not found: run `swift build` first, or set DELTASTORE_BIN_DIR")
    return binary


class Daemon:
    """One deltastored under test."""

    #: HMAC secret of the daemon's JWT key ring, so tests can make tokens it accepts.
    jwt_secret = b"deltastore-python-client-tests-secret-0123456789"
    jwt_kid = "test-key"

    def __init__(self, binary: Path, extra_args: Optional[List[str]] = None) -> None:
        self.binary = binary
        self.extra_args = list(extra_args or [])
        self.directory = Path(tempfile.mkdtemp(prefix="dsp-", dir="/tmp"))
        self.socket_path = str(self.directory / "d.sock")
        self.store_path = str(self.directory / "store.db")
        self.log_path = self.directory / "deltastored.log"
        keys = self.directory / "jwt-keys"
        keys.write_text(f"{self.jwt_kid} {base64.urlsafe_b64encode(self.jwt_secret).decode().rstrip('=')}\n")
        keys.chmod(0o600)
        self.process: Optional[subprocess.Popen] = None

    def start(self) -> "Daemon":
        args = [str(self.binary), "--socket", self.socket_path, "--store", "sqlite:" + self.store_path,
                "--bcrypt-cost", "4", "--jwt-keys", str(self.directory / "jwt-keys"), *self.extra_args]
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(args, cwd=self.directory, stdout=log, stderr=log)
        log.close()
        self.wait_until_listening()
        return self

    def wait_until_listening(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"deltastored exited with {self.process.returncode}:\n{self.log()}")
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                    probe.connect(self.socket_path)
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"deltastored did not listen within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def signal(self, number: int) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(number)

    def stop(self) -> None:
        """SIGTERM (the daemon drains), SIGKILL if it takes too long."""
        if self.process is None or self.process.poll() is not None:
            return
        self.signal(signal.SIGCONT)
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def kill(self) -> None:
        """SIGKILL: connections die with the process, nothing is drained."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
