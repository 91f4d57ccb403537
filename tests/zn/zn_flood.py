#!/usr/bin/env python3
"""Idle-connection flood against a TCP port (tests/zn/ext_zn_flood.sh): opens RATE connections a
second from source address SRC (any 127/8 address on Linux), sends nothing, holds at most HOLD
of them (the oldest is closed to make room; with --keep it opens no more and keeps the HOLD
open), for SECONDS in all, then closes everything.

  zn_flood.py HOST PORT [--src ADDR] [--rate N] [--hold N] [--seconds S] [--status FILE] [--keep]

Connects are non-blocking; a connection counts as "established" once the kernel reports it
writable without error (the handshake completed: the SYN was not dropped). Every second the
status FILE gets "t=.. opened=.. established=.. held=.. failed=..", and the last line is printed
on exit. Loopback tests only."""
import argparse
import errno
import os
import select
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--src", default=None)
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--hold", type=int, default=400)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--status", default=None)
    ap.add_argument("--keep", action="store_true",
                    help="once HOLD are open, open no more and keep them (never recycle)")
    a = ap.parse_args()

    held = []            # sockets, oldest first
    pending = {}         # fileno -> socket, connect not yet complete
    opened = established = failed = 0
    t0 = time.monotonic()
    next_open = t0
    next_status = t0 + 1.0
    poller = select.poll()

    def status():
        line = "t=%.1f opened=%d established=%d held=%d failed=%d" % (
            time.monotonic() - t0, opened, established, len(held), failed)
        if a.status:
            with open(a.status + ".tmp", "w") as f:
                f.write(line + "\n")
            os.replace(a.status + ".tmp", a.status)
        return line

    while True:
        now = time.monotonic()
        if now - t0 >= a.seconds:
            break
        while next_open <= now:
            next_open += 1.0 / a.rate
            if len(held) >= a.hold and a.keep:
                next_open = now + 3600
                break
            if len(held) >= a.hold:
                old = held.pop(0)
                if old.fileno() in pending:
                    poller.unregister(old.fileno())
                    del pending[old.fileno()]
                old.close()
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            if a.src:
                s.bind((a.src, 0))
            rc = s.connect_ex((a.host, a.port))
            opened += 1
            held.append(s)
            if rc in (0,):
                established += 1
            elif rc in (errno.EINPROGRESS, errno.EAGAIN):
                pending[s.fileno()] = s
                poller.register(s.fileno(), select.POLLOUT)
            else:
                failed += 1
        if now >= next_status:
            next_status += 1.0
            status()
        wait_ms = max(0, int((min(next_open, next_status) - time.monotonic()) * 1000))
        for fd, ev in poller.poll(wait_ms):
            s = pending.pop(fd, None)
            poller.unregister(fd)
            if s is None:
                continue
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err == 0:
                established += 1
            else:
                failed += 1
    line = status()
    for s in held:
        s.close()
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
