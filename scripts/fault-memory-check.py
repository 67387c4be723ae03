#!/usr/bin/env python3
"""Memory under faults, as a user runs it: `serve` in front of a
separate `demo-backend` process. After a warm-up round of each fault, the
gateway's RSS is the baseline; then 1,000 calls each to a refusing, a hung
(SIGSTOP) and a killed-mid-call backend, and 50 clients that abandon a
200 MB upload halfway. RSS must end within 10% of the baseline (and fds
where they were). Usage: fault-memory-check.py BINARY"""
import http.client, os, signal, socket, subprocess, sys, threading, time

binary = sys.argv[1]
def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
bp, gp = free_port(), free_port()
quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
def backend():
    p = subprocess.Popen([binary, "demo-backend", "--listen", f"tcp://127.0.0.1:{bp}", "--threads", "1", "--log-level", "critical"], **quiet)
    for _ in range(100):
        try: socket.create_connection(("127.0.0.1", bp), 0.2).close(); return p
        except OSError: time.sleep(0.05)
    raise SystemExit("fault-memory-check: the backend did not start")
gw = subprocess.Popen([binary, "serve", "--wit", "demo/wit", "--target", f"tcp://127.0.0.1:{bp}", "--listen", f"127.0.0.1:{gp}",
                       "--eject-base-ms", "50", "--eject-max-ms", "100", "--log-level", "critical"], **quiet)
procs = [gw]
def status(key): return int(next(l for l in open(f"/proc/{gw.pid}/status") if l.startswith(key)).split()[1])
def rss(): return status("VmRSS:")
def split(): return f"anonymous {status('RssAnon:') >> 10}, file {status('RssFile:') >> 10}"
def fds(): return len(os.listdir(f"/proc/{gw.pid}/fd"))

def calls(n, path, body, timeout_ms, conc=16):
    left, lock, seen = [n], threading.Lock(), {}
    def work():
        while True:
            with lock:
                if left[0] <= 0: return
                left[0] -= 1
            try:
                c = http.client.HTTPConnection("127.0.0.1", gp, timeout=30)
                c.request("POST", path, body=body, headers={"Content-Type": "application/json", "Wrpc-Timeout-Ms": str(timeout_ms)})
                r = c.getresponse(); r.read(); c.close(); k = r.status
            except Exception as e: k = type(e).__name__
            with lock: seen[k] = seen.get(k, 0) + 1
    ts = [threading.Thread(target=work) for _ in range(conc)]
    [t.start() for t in ts]; [t.join() for t in ts]
    return seen

hello = ("/invoke/wrpc-gateway:demo/greeter@0.1.0/hello", '{"name":"fault"}')
count = ("/invoke/wrpc-gateway:demo/blobs@0.1.0/count", '{"n":1000000}')

def refused(n):
    return calls(n, *hello, 2000)
def hung(n):
    b = backend(); procs.append(b)
    calls(20, *hello, 5000)
    b.send_signal(signal.SIGSTOP)
    seen = calls(n, *hello, 100)
    b.send_signal(signal.SIGCONT); b.kill(); b.wait()
    return seen
def killed(n):
    seen = {}
    for _ in range(max(1, n // 50)):
        b = backend(); procs.append(b)
        t = threading.Thread(target=lambda: seen.update({k: seen.get(k, 0) + v for k, v in calls(50, *count, 30000).items()}))
        t.start(); time.sleep(0.3); b.kill(); b.wait(); t.join()
    return seen
def abandoned(n, size=200 << 20):
    b = backend(); procs.append(b)
    def one():
        s = socket.create_connection(("127.0.0.1", gp))
        s.sendall(f"POST /invoke/wrpc-gateway:demo/blobs@0.1.0/upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: {size}\r\n\r\n".encode())
        chunk = b"\0" * (1 << 20)
        for _ in range(size // 2 // len(chunk)): s.sendall(chunk)
        s.close()
    for i in range(0, n, 10):
        ts = [threading.Thread(target=one) for _ in range(min(10, n - i))]
        [t.start() for t in ts]; [t.join() for t in ts]
    time.sleep(1); b.kill(); b.wait()
    return {"abandoned": n}

try:
    for _ in range(100):
        try: socket.create_connection(("127.0.0.1", gp), 0.2).close(); break
        except OSError: time.sleep(0.05)
    for f, n in ((refused, 100), (hung, 100), (killed, 100), (abandoned, 5)): f(n)
    # Both readings come after the same quiet time, long enough for the
    # gateway's free-memory release (a look every second) to act.
    settle = 3
    time.sleep(settle)
    base_rss, base_fds = rss(), fds()
    print(f"baseline after warm-up: RSS {base_rss >> 10} MiB ({split()}), {base_fds} fds")
    rounds = int(os.environ.get("FAULT_ROUNDS", "1"))
    for f, n in ((refused, 1000), (hung, 1000), (killed, 1000), (abandoned, 50)) * rounds:
        seen = f(n)
        print(f"{f.__name__:>9} x{n}: {seen}; RSS {rss() >> 10} MiB, {fds()} fds")
    time.sleep(settle)
    end_rss, end_fds = rss(), fds()
    grown = (end_rss - base_rss) / base_rss
    print(f"fault-memory-check: RSS {base_rss >> 10} -> {end_rss >> 10} MiB ({grown:+.1%}; {split()}), fds {base_fds} -> {end_fds}")
    if grown > 0.10 or end_fds > base_fds + 2:
        raise SystemExit("fault-memory-check: FAILED (RSS beyond 10% of its baseline or fds grew)")
finally:
    for p in procs:
        try: p.send_signal(signal.SIGCONT); p.kill(); p.wait()
        except Exception: pass
