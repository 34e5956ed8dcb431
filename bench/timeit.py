#!/usr/bin/env python3
"""timeit.py LABEL CMD... - run CMD through sh, print one JSON line:
{"label", "seconds", "max_rss_kb", "status"}.  Standard input and output
are the caller's (redirect inside CMD)."""
import json
import resource
import subprocess
import sys
import time

label, cmd = sys.argv[1], sys.argv[2]
t0 = time.monotonic()
status = subprocess.call(["sh", "-c", cmd])
dt = time.monotonic() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"label": label, "seconds": round(dt, 4),
                  "max_rss_kb": rss, "status": status}))
