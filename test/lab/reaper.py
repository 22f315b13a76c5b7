"""PID 1 of a light lab server's PID namespace: reaps every orphan so no zombies pile up
(a shell as PID 1 only reaps its own jobs), and exits when told to (the lab kills it to stop
the server, which ends every process in the namespace)."""
import os
import signal
import sys
import time

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
while True:
    try:
        os.wait()
    except ChildProcessError:
        time.sleep(1)
