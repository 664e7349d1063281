"""A throwaway clamd for the tests: Debian's ``clamav-daemon`` on a Unix socket in a
temporary directory, with a signature database made here (EICAR's test string, through
``sigtool``), since signature downloads are not available in CI; stopped afterwards."""

import os
import shutil
import subprocess
import tempfile
import time

#: The EICAR anti-virus test string: harmless, and every scanner's "this is a virus".
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class ClamdError(RuntimeError):
    """clamd could not be started."""


def _binary(name: str) -> str:
    found = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}")
                                        if os.path.exists(p)), None)
    if not found:
        raise ClamdError(f"ClamAV's {name} was not found: install Debian's clamav-daemon "
                         "(apt-get install clamav-daemon); scripts/setup.sh does when root")
    return found


class ClamdServer:
    """``start()``, ``socket``, ``stop()``."""

    def __init__(self):
        self.process = None
        self.directory = None

    @property
    def socket(self) -> str:
        return os.path.join(self.directory, "clamd.sock")

    def start(self) -> "ClamdServer":
        clamd, sigtool = _binary("clamd"), _binary("sigtool")
        self.directory = tempfile.mkdtemp(prefix="onevisit-clamd-")
        database = os.path.join(self.directory, "db")
        os.mkdir(database)
        hexed = subprocess.run([sigtool, "--hex-dump"], input=EICAR, capture_output=True,
                               check=True).stdout.decode().strip()
        with open(os.path.join(database, "onevisit-test.ndb"), "w") as fh:
            fh.write(f"OneVisit.Test.EICAR:0:*:{hexed}\n")
        config = os.path.join(self.directory, "clamd.conf")
        with open(config, "w") as fh:
            fh.write(f"LocalSocket {self.socket}\nDatabaseDirectory {database}\n"
                     f"Foreground yes\nLogFile {self.directory}/clamd.log\n"
                     f"PidFile {self.directory}/clamd.pid\n"
                     # A video check's recording may be 200 MB (ONEVISIT_RECORDING_MAX_MB).
                     "StreamMaxLength 210M\nMaxFileSize 210M\nMaxScanSize 400M\n"
                     + ("User root\n" if os.geteuid() == 0 else ""))
        self.process = subprocess.Popen([clamd, "-c", config], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not os.path.exists(self.socket):
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = open(os.path.join(self.directory, "clamd.log")).read()[-1000:] \
                    if os.path.exists(os.path.join(self.directory, "clamd.log")) else ""
                self.stop()
                raise ClamdError(f"clamd did not start: {log}")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)
