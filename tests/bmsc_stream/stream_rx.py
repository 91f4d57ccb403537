#!/usr/bin/env python3
"""Receiver of ext_bmsc_stream: joins the multicast group of the MTK messages on 127.0.0.1 and
listens for SRTP; writes one JSON line per datagram {"k": "mtk"|"srtp", "t": unix time, "d": hex}
until the file STOP exists (then 0.5 s more) or 60 s pass. Prints "listening" when ready.

    stream_rx.py GROUP MTK_PORT SRTP_PORT OUT STOP"""
import json
import os
import select
import socket
import sys
import time

group, mport, sport, out, stop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
m = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
m.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
m.bind((group, mport))
m.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(group) + socket.inet_aton("127.0.0.1"))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
s.bind(("127.0.0.1", sport))
print("listening", flush=True)
end, stop_at = time.time() + 60, None
with open(out, "w") as f:
    while time.time() < end and (stop_at is None or time.time() < stop_at):
        if stop_at is None and os.path.exists(stop):
            stop_at = time.time() + 0.5
        r, _, _ = select.select([m, s], [], [], 0.1)
        for sock in r:
            d = sock.recv(4096)
            f.write(json.dumps({"k": "mtk" if sock is m else "srtp", "t": time.time(), "d": d.hex()}) + "\n")
