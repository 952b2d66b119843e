#!/usr/bin/env python3
"""Summarises a JFR recording's CPU samples (jdk.ExecutionSample) by top frame (self time) and by
inclusive frame (any frame on the stack), the text form of a flame graph.
   bench/jfr/top-frames.py recording.jfr [N] [FILTER]
FILTER (a substring, e.g. io.imsm) restricts the inclusive table to frames containing it."""
import collections, json, subprocess, sys

path = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 25
filt = sys.argv[3] if len(sys.argv) > 3 else None
out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "64", "--events", "jdk.ExecutionSample", path],
                     check=True, capture_output=True, text=True).stdout
events = json.loads(out)["recording"]["events"]
self_, incl = collections.Counter(), collections.Counter()
for e in events:
    frames = e["values"]["stackTrace"]["frames"] if e["values"].get("stackTrace") else []
    names = [f["method"]["type"]["name"] + "." + f["method"]["name"] for f in frames]
    if not names:
        continue
    self_[names[0]] += 1
    for name in set(names):
        incl[name] += 1
total = len(events)
print(f"{total} samples")
print(f"\n-- top {n} frames by self samples")
for name, c in self_.most_common(n):
    print(f"{100 * c / total:5.1f}%  {name}")
print(f"\n-- top {n} frames by inclusive samples" + (f" (containing {filt})" if filt else ""))
for name, c in [(k, v) for k, v in incl.most_common() if not filt or filt in k][:n]:
    print(f"{100 * c / total:5.1f}%  {name}")
