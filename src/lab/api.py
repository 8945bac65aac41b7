#!/usr/bin/env python3
"""ExaBGP API helper of the anycast interop harness.

ExaBGP writes one JSON object per line (received UPDATEs, state changes) to
our stdin: append them to argv[1]. Lines written to the FIFO argv[2]
(commands such as "announce route ...") are copied to our stdout for ExaBGP.
"""
import os
import sys
import threading

out_path, fifo_path = sys.argv[1], sys.argv[2]


def pump_commands():
    # O_RDWR keeps a writer open ourselves, so the FIFO never reads EOF between commands.
    fd = os.open(fifo_path, os.O_RDWR)
    with os.fdopen(fd, "r") as fifo:
        for line in fifo:
            sys.stdout.write(line)
            sys.stdout.flush()


threading.Thread(target=pump_commands, daemon=True).start()
with open(out_path, "a", buffering=1) as out:
    # Tells the harness that ExaBGP is up and the FIFO has a reader.
    out.write('{"type": "acst-ready"}\n')
    for line in sys.stdin:
        out.write(line if line.endswith("\n") else line + "\n")
