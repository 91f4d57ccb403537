#!/usr/bin/python3
"""Writes UDP datagrams (hex, one per line on stdin) to a pcap file so tshark can dissect them.

Usage: pcap.py OUT.pcap [--sport N] [--dport N]   (ports default to 2269, the MIKEY port)
Link type RAW (IPv4), source 127.0.0.1, destination 127.0.0.2. Stdlib only.
"""
import argparse
import struct
import sys


def ip_checksum(h):
    s = sum(struct.unpack(">10H", h))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def packet(payload, sport, dport):
    udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                      bytes([127, 0, 0, 1]), bytes([127, 0, 0, 2]))
    hdr = hdr[:10] + struct.pack(">H", ip_checksum(hdr)) + hdr[12:]
    return hdr + udp


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--sport", type=int, default=2269)
    p.add_argument("--dport", type=int, default=2269)
    a = p.parse_args()
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        for i, line in enumerate(l.strip() for l in sys.stdin):
            if not line:
                continue
            pkt = packet(bytes.fromhex(line), a.sport, a.dport)
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(pkt), len(pkt)) + pkt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
