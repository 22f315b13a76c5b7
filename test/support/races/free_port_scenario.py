#!/usr/bin/env python3
"""One free-port race, inside a private PID, network and cgroup namespace (run it as
`unshare --pid --fork --mount-proc --net --cgroup python3 free_port_scenario.py SPEC.json`), so
its processes, PIDs and ports are its own and the host's are never seen, let alone signalled.

This process is the namespace's PID 1. It starts the holders of the port (real listening
sockets, SO_REUSEPORT so several can hold one port), runs the rendered catalog command with
`sh -s` (as the executor does), and, when a holder receives its SIGTERM, makes a newcomer bind the
port inside the SIGTERM→SIGKILL window: a process named sshd, the child of an sshd-session, or a
process that takes over the very PID of the holder that just exited (PID reuse, by writing the
namespace's /proc/sys/kernel/ns_last_pid). It prints one JSON object: the command's exit code and
output, and for every process how it ended (alive, exited, or killed by which signal) and the
signals it caught.

SPEC: {"port": P, "command": TEXT, "cwd": DIR,
       "holders": [{"id": "a", "name": "squatter", "ignore_term": true, "shared": true}],
       "on_term_of": "a", "newcomer": {"id": "n", "name": "sshd", "parent_name": null,
                                       "reuse_pid": false, "ignore_term": false},
       "supervisord": CONF_PATH?}
"""
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time

PR_SET_NAME = 15
libc = ctypes.CDLL(None, use_errno=True)


def set_name(name: str) -> None:
    libc.prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def listener(port: int) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("127.0.0.1", port))
    s.listen(8)
    return s


def hold(spec: dict, port: int, caught: str, sock: socket.socket | None = None) -> None:
    """The body of a holder process: name itself, hold the port, note every SIGTERM it catches."""
    set_name(spec["name"])
    s = sock or listener(port)

    def on_term(*_):
        with open(caught, "a") as f:
            f.write(f"{spec['id']} TERM\n")
        if not spec.get("ignore_term"):
            os._exit(0)

    signal.signal(signal.SIGTERM, on_term)
    while s:
        signal.pause()


def spawn(spec: dict, port: int, caught: str, sock: socket.socket | None = None) -> int:
    pid = os.fork()
    if pid == 0:
        try:
            if spec.get("parent_name"):
                # a parent by that name (an sshd-session) whose child holds the port
                set_name(spec["parent_name"])
                child = os.fork()
                if child == 0:
                    hold(spec, port, caught, sock)
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                while True:
                    signal.pause()
            hold(spec, port, caught, sock)
        finally:
            os._exit(1)
    return pid


def spawn_at(pid_wanted: int, spec: dict, port: int, caught: str) -> int:
    """A newcomer with exactly this PID: the PID a holder that just exited had."""
    for _ in range(200):
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(pid_wanted - 1))
        pid = spawn(spec, port, caught)
        if pid == pid_wanted:
            return pid
        # something else in the namespace forked in between: try again
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        time.sleep(0.005)
    raise RuntimeError(f"could not reuse PID {pid_wanted}")


def listening(port: int) -> bool:
    out = subprocess.run(["ss", "-Htln", f"sport = :{port}"], capture_output=True, text=True).stdout
    return out.strip() != ""


def main() -> None:
    spec = json.load(open(sys.argv[1]))
    port = spec["port"]
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    caught = os.path.join(spec["cwd"], "caught.log")
    open(caught, "w").close()
    procs: dict[str, int] = {}
    names: dict[int, str] = {}
    supervisord = None
    if spec.get("supervisord"):
        supervisord = subprocess.Popen(
            ["supervisord", "-n", "-c", spec["supervisord"]], cwd=spec["cwd"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    # holders marked shared hold one socket between them (one inode, several processes)
    shared = listener(port) if any(h.get("shared") for h in spec["holders"]) else None
    for h in spec["holders"]:
        procs[h["id"]] = spawn(h, port, caught, shared if h.get("shared") else None)
        names[procs[h["id"]]] = h["id"]
    if shared:
        shared.close()  # this process (PID 1) holds nothing
    deadline = time.monotonic() + 10
    while not listening(port) and time.monotonic() < deadline:
        time.sleep(0.05)

    command = subprocess.Popen(
        ["sh", "-s"], cwd=spec["cwd"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )
    command.stdin.write(spec["command"] + "\n")
    command.stdin.close()

    ended: dict[str, str] = {}
    watched = spec.get("on_term_of")
    newcomer = spec.get("newcomer")
    while command.poll() is None:
        for pid, ident in list(names.items()):
            if ident in ended:
                continue
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                ended[ident] = describe(status)
        if newcomer and watched and f"{watched} TERM" in open(caught).read() and newcomer["id"] not in procs:
            if newcomer.get("reuse_pid"):
                old = procs[watched]
                while watched not in ended:
                    done, status = os.waitpid(old, 0)
                    ended[watched] = describe(status)
                pid = spawn_at(old, newcomer, port, caught)
            else:
                pid = spawn(newcomer, port, caught)
            procs[newcomer["id"]] = pid
            names[pid] = newcomer["id"]
        time.sleep(0.01)
    output = command.stdout.read()

    result = {"exit": command.returncode, "output": output, "pids": procs, "processes": {}}
    for ident, pid in procs.items():
        if ident not in ended:
            done, status = os.waitpid(pid, os.WNOHANG)
            ended[ident] = describe(status) if done else "alive"
    result["processes"] = ended
    result["caught"] = open(caught).read().split("\n")[:-1]
    print(json.dumps(result))
    # the namespace ends with this process: every process in it is killed by the kernel
    if supervisord:
        supervisord.terminate()


def describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exited {os.WEXITSTATUS(status)}"


if __name__ == "__main__":
    main()
