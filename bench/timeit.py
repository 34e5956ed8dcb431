#!/usr/bin/env python3
"""timeit.py LABEL CMD... - run CMD through sh, print one JSON line:
{"label", "seconds", "cpu_seconds", "max_rss_kb", "status"}: the wall time,
and the CPU (user and system) and peak RSS of CMD's processes.  Standard
input and output are the caller's (redirect inside CMD)."""
import json
import os
import subprocess
import sys
import tempfile
import time

label, cmd = sys.argv[1], sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
helper = os.path.join(here, "..", "build", "bench", "rusage")
if not os.access(helper, os.X_OK):
    os.makedirs(os.path.dirname(helper), exist_ok=True)
    subprocess.check_call(["cc", "-O2", "-o", helper,
                           os.path.join(here, "rusage.c")])
# A small C parent measures the peak RSS and the CPU: a child forked from
# this Python would count the interpreter's pages before exec.
with tempfile.NamedTemporaryFile("r") as rss:
    t0 = time.monotonic()
    status = subprocess.call([helper, rss.name, "sh", "-c", cmd])
    dt = time.monotonic() - t0
    text = rss.read().split()
print(json.dumps({"label": label, "seconds": round(dt, 4),
                  "cpu_seconds": float(text[1]) if text else None,
                  "max_rss_kb": int(text[0]) if text else None,
                  "status": status}))
