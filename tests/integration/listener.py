#!/usr/bin/env python3
"""A TCP listener of a test's own on 127.0.0.1, for netpart's method "actions" to stop and
start. listener.py PORT PIDFILE binds PORT (0: any, written to PIDFILE.port), accepts and
closes connections in a child of its own, writes that child's pid to PIDFILE, and returns
once it listens, so that an action that starts it ends when the port is served.
listener.py stop PIDFILE kills that child and returns once the port refuses connections
(the child may stay a zombie where nothing reaps orphans, so its pid does not tell)."""
import os
import signal
import socket
import sys
import time


def stop(pidfile):
    with open(pidfile) as f:
        os.kill(int(f.read()), signal.SIGKILL)
    with open(pidfile + ".port") as f:
        port = int(f.read())
    for _ in range(500):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except ConnectionRefusedError:
            return
        time.sleep(0.01)
    sys.exit("listener.py: 127.0.0.1:%d still accepts" % port)


if sys.argv[1] == "stop":
    stop(sys.argv[2])
    sys.exit(0)
port, pidfile = int(sys.argv[1]), sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(64)
pid = os.fork()
if pid:
    with open(pidfile + ".port", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    with open(pidfile, "w") as f:
        f.write("%d\n" % pid)
    sys.exit(0)
os.setsid()
null = os.open(os.devnull, os.O_RDWR)
for fd in (0, 1, 2):
    os.dup2(null, fd)
while True:
    c, _ = s.accept()
    c.close()
