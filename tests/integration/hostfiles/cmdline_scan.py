#!/usr/bin/python3
"""Scans /proc/*/cmdline until a stop file appears, writing every command line that contains one of
the secrets (one per line in SECRETS_FILE, matched as given and in lower case) to HITS_FILE; prints
how many scans it made. usage: cmdline_scan.py SECRETS_FILE HITS_FILE STOP_FILE"""
import os
import sys

secrets_file, hits_file, stop_file = sys.argv[1:4]
with open(secrets_file) as f:
    secrets = [s for s in f.read().split("\n") if s]
needles = set(secrets) | {s.lower() for s in secrets}
me = str(os.getpid())
scans = 0
with open(hits_file, "a") as hits:
    while not os.path.exists(stop_file):
        scans += 1
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or pid == me:
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as c:
                    line = c.read().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue
            if any(n in line for n in needles):
                hits.write(f"{pid}: {line}\n")
                hits.flush()
print(scans)
