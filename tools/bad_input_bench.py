#!/usr/bin/env python3
"""Server RSS and /health + /pull latency under bad unauthenticated/login input.
usage: bad_input_bench.py BINARY   (needs the zstd CLI)"""
import http.client, json, os, re, statistics, subprocess, sys, tempfile, threading, time, uuid

BIN = sys.argv[1]

def zstd(raw: bytes) -> bytes:
    return subprocess.run(["zstd", "-9", "-c", "-q"], input=raw, capture_output=True, check=True).stdout

def mem(pid):
    s = open(f"/proc/{pid}/status").read()
    get = lambda k: int(re.search(rf"{k}:\s+(\d+) kB", s).group(1)) // 1024
    return get("VmRSS"), get("VmHWM")

def req(port, method, path, body=None, headers=None, timeout=120):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse(); data = r.read(); c.close()
    return r.status, data

def server():
    d = tempfile.mkdtemp(); db = os.path.join(d, "s.db")
    adm = lambda *a, stdin="": subprocess.run([BIN, "admin", "--db", db, *a], input=stdin.encode(),
                                              capture_output=True, check=True).stdout.decode().strip()
    adm("region", "add", "SL-KONO", "--name", "Kono", "--country", "SL")
    adm("officer", "add", "field_a", "--role", "field_officer", "--regions", "SL-KONO",
        "--password-stdin", stdin="correct horse\n")
    code = adm("enrol-code", "--region", "SL-KONO")
    p = subprocess.Popen([BIN, "serve", "--db", db, "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, env={**os.environ, "RUST_LOG": "warn"})
    port = int(p.stdout.readline().decode().strip().rsplit(":", 1)[1])
    _, b = req(port, "POST", "/api/v1/enrol", json.dumps({"code": code, "device_id": str(uuid.uuid4())}),
               {"content-type": "application/json"})
    dev = json.loads(b)["device_token"]
    _, b = req(port, "POST", "/api/v1/login", json.dumps({"username": "field_a", "password": "correct horse"}),
               {"authorization": f"Bearer {dev}", "content-type": "application/json"})
    return p, port, dev, json.loads(b)["session_token"]

def burst(name, make_requests):
    p, port, dev, session = server()
    time.sleep(0.5)
    before, _ = mem(p.pid)
    lat = {"health": [], "pull": []}; done = threading.Event()
    def poll():
        while not done.is_set():
            t = time.time(); req(port, "GET", "/api/v1/health"); lat["health"].append(time.time() - t)
            t = time.time()
            req(port, "POST", "/api/v1/pull", b'{"cursor":0}',
                {"authorization": f"Bearer {session}", "content-type": "application/json"})
            lat["pull"].append(time.time() - t)
            time.sleep(0.02)
    poller = threading.Thread(target=poll); poller.start()
    statuses = []; lock = threading.Lock()
    def one(args):
        s, _ = req(port, *args)
        with lock: statuses.append(s)
    t0 = time.time()
    ts = [threading.Thread(target=one, args=(a,)) for a in make_requests(dev)]
    [t.start() for t in ts]; [t.join() for t in ts]
    took = time.time() - t0
    time.sleep(0.3); done.set(); poller.join()
    after, peak = mem(p.pid)
    p.terminate(); p.wait()
    fmt = lambda xs: f"p50 {statistics.median(xs)*1000:.0f} ms, max {max(xs)*1000:.0f} ms (n={len(xs)})"
    print(f"{name}: answers {sorted(set(statuses))} x{len(statuses)} in {took:.2f} s; "
          f"RSS {before} MB -> {after} MB (peak {peak} MB); /health {fmt(lat['health'])}; "
          f"/pull {fmt(lat['pull'])}")

# 12 logins, each with a different 60 MB user name, zstd-compressed (~2 KB on the wire).
names = [zstd(json.dumps({"username": chr(97 + i) * 60_000_000, "password": "x"}).encode()) for i in range(12)]
print(f"login body: {len(names[0])} bytes compressed, 60 MB decoded")
burst("12 logins with 60 MB names", lambda dev: [
    ("POST", "/api/v1/login", z, {"authorization": f"Bearer {dev}", "content-type": "application/json",
                                  "content-encoding": "zstd"}) for z in names])
# 16 concurrent zstd bombs at /enrol: 64 MiB of spaces (the old decoded limit).
bomb = zstd(b" " * (64 * 1024 * 1024))
print(f"enrol bomb: {len(bomb)} bytes compressed, 64 MiB decoded")
burst("16 concurrent zstd bombs at /enrol", lambda dev: [
    ("POST", "/api/v1/enrol", bomb, {"content-type": "application/json", "content-encoding": "zstd"})
    for _ in range(16)])
