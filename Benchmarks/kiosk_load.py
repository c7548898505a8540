#!/usr/bin/env python3
"""Load on loopback: N concurrent API verifications of a large signed delivery against a
running `passbox serve`, all verdicts checked, the server's peak RSS (VmHWM) read from
/proc, and the server's answers timed while the scans run: `/api/v1/status` every
0.2 s, and a page (`/signin`) with each; those answered while `status` says
verifications are running are counted ("duringScan").

    Benchmarks/kiosk_load.sh  (makes the station and delivery, starts the server, runs this)
    kiosk_load.py BASE_URL TOKEN PATH SERVER_PID [N]

Every request goes to BASE_URL (127.0.0.1 only); the loop is bounded (10 minutes).
"""
import json
import sys
import threading
import time
import urllib.error
import urllib.request

base, token, path, pid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
n = int(sys.argv[5]) if len(sys.argv) > 5 else 20
assert base.startswith("http://127.0.0.1:"), "loopback only"
headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}


def call(method, url, body=None):
    req = urllib.request.Request(base + url, method=method, headers=headers,
                                 data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read() or b"{}")


def vmhwm():
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return -1


start = time.monotonic()
ids, busy = [], 0
for i in range(n):
    status, hdrs, body = call("POST", "/api/v1/verifications", {"path": path})
    if status == 202:
        ids.append(body["id"])
    elif status == 429:
        busy += 1
    else:
        sys.exit("unexpected %d: %r" % (status, body))

latencies, during, verdicts, stop = [], [], {}, threading.Event()


def page(url):
    t = time.monotonic()
    with urllib.request.urlopen(base + url, timeout=30) as r:
        r.read()
        assert r.status == 200, r.status
    return time.monotonic() - t


def ping():
    while not stop.is_set():
        t = time.monotonic()
        status, _, body = call("GET", "/api/v1/status")
        latency = time.monotonic() - t
        latencies.append(latency)
        if status == 200 and body.get("running", 0) > 0:
            during.append(max(latency, page("/signin")))
        time.sleep(0.2)


pinger = threading.Thread(target=ping)
pinger.start()
deadline = time.monotonic() + 600
while len(verdicts) < len(ids) and time.monotonic() < deadline:
    for i in ids:
        if i in verdicts:
            continue
        status, _, body = call("GET", "/api/v1/verifications/" + i)
        if body.get("state") in ("done", "failed"):
            verdicts[i] = body.get("verdict", body.get("error"))
    time.sleep(0.5)
stop.set()
pinger.join()
elapsed = time.monotonic() - start
latencies.sort()
result = {
    "requested": n, "queued": len(ids), "busy429": busy,
    "accepted": sum(1 for v in verdicts.values() if v == "accepted"),
    "other": [v for v in verdicts.values() if v != "accepted"],
    "seconds": round(elapsed, 1), "peakRssMiB": vmhwm(),
    "statusLatencyP50ms": round(1000 * latencies[len(latencies) // 2]) if latencies else None,
    "statusLatencyMaxMs": round(1000 * latencies[-1]) if latencies else None,
    "duringScan": len(during),
    "duringScanMaxMs": round(1000 * max(during)) if during else None,
}
print(json.dumps(result))
sys.exit(0 if result["accepted"] == len(ids) and len(verdicts) == len(ids) else 1)
