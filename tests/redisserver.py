"""A throwaway Redis for the tests: Debian's server on a loopback port, in a temporary
directory, without persistence; stopped and deleted afterwards."""

import shutil
import socket
import subprocess
import tempfile
import time

from .topology import free_port


class RedisError(RuntimeError):
    """The server could not be started."""


class RedisServer:
    """``start()``, ``url``, ``stop()``."""

    def __init__(self):
        self.process = None
        self.directory = None
        self.port = None

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server")
        if not binary:
            raise RedisError("redis-server was not found: install Debian's package "
                             "(apt-get install redis-server); scripts/setup.sh does when root")
        self.directory = tempfile.mkdtemp(prefix="onevisit-redis-")
        self.port = free_port()
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.directory,
             "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RedisError("redis-server did not answer within 10 s")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
