#!/usr/bin/env python3
"""Seed corpora for the fuzz targets (fuzz/), made at run time from the
shared contracts (../shared/spec/vectors, wire/, ../shared/wit-corpus) and
demo/wit; nothing of them is copied into the repository.
Usage: fuzz-seeds.py SHARED_DIR OUT_DIR"""
import json, os, sys, glob, hashlib

shared, out = sys.argv[1], sys.argv[2]
# The order of FuzzTypes.sources in fuzz/Sources/FuzzValues/FuzzTypes.swift.
types = ["bool", "u8", "s8", "u16", "s16", "u32", "s32", "u64", "s64", "f32", "f64", "char", "string",
         "list<u8>", "list<u32>", "list<string>", "list<list<u8>>",
         "option<u32>", "option<string>", "option<option<u32>>",
         "result", "result<u32>", "result<_, string>", "result<u32, string>", "result<option<list<u8>>, error>",
         "tuple<u32, string, u32>", "tuple<u8, string>",
         "color", "f8", "f9", "key-response", "req", "error",
         "stream<u8>", "stream<u32>", "future<u32>", "borrow<bucket>"]
named = {"enum color": "color", "flags f8": "f8", "flags f9": "f9", "record key-response": "key-response",
         "record req": "req", "variant error": "error"}

def put(target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)

vectors = json.load(open(os.path.join(shared, "spec/vectors/go-encodings.json")))
for v in vectors:
    t = v["type"]
    t = next((short for long, short in named.items() if t.startswith(long)), t)
    raw = bytes.fromhex(v.get("hex", "").replace(" ", ""))
    if t in types:
        put("FuzzValues", bytes([types.index(t)]) + raw)
    elif t.startswith("wrpc:"):
        put("FuzzFrames", raw)
    if "value" in v:
        put("FuzzJSON", json.dumps(v["value"]).encode())
for path in glob.glob(os.path.join(shared, "spec/wire/*.json")):
    w = json.load(open(path))
    for key in ("request_hex", "response_hex"):
        if key in w:
            raw = bytes.fromhex(w[key])
            put("FuzzFrames", raw)
            # Past the invocation header, which the frame reader never sees.
            put("FuzzFrames", raw[1:])
    put("FuzzJSON", open(path, "rb").read())
for path in glob.glob(os.path.join(shared, "spec/**/*.json"), recursive=True):
    put("FuzzJSON", open(path, "rb").read()[:65536])
wits = glob.glob(os.path.join(shared, "wit-corpus/**/*.wit"), recursive=True) + glob.glob("demo/wit/**/*.wit", recursive=True)
for path in wits:
    put("FuzzWIT", open(path, "rb").read())

# FuzzHead: the hostile heads of Tests/GatewayTests/HeadTests.swift and
# FramingTests.swift, byte for byte, and plain heads that are served.
body = b'{"name":"x"}'
n = len(body)
def head(request_line, lines, target="/invoke/greeter/hello", version=b"HTTP/1.1"):
    line = request_line if request_line is not None else b"POST " + target.encode() + b" " + version
    return line + b"\r\n" + lines + b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % n + body
def post(headers, payload=body):
    return b"POST /invoke/greeter/hello HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n" + headers + b"\r\n" + payload
host = b"Host: a\r\n"
second = b"GET /app/status/203 HTTP/1.1\r\nHost: x\r\n\r\n"
start = b"POST /invoke/greeter/hello HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: %d" % n
chunked = b"%x\r\n" % n + body + b"\r\n0\r\n\r\n"
heads = [
    head(None, host + b"X-A: a\r\n folded\r\n"),
    b"POST /app/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"
        + b"%x\r\n" % len(second) + second + b"\r\n0\r\n\r\n",
    start + b"\r\nX-A: a\x00\r\n\r\n" + body,
    start + b"\x0099\r\n\r\n" + body,
    head(None, host + b"Host: b\r\n"),
    head(None, b""),
    head(None, b"Host: a b@evil\r\n"),
    head(None, b"Host: u@evil\r\n"),
    head(b"X-EVIL\x01 /invoke/greeter/hello HTTP/1.1", host),
    head(b"PO\x00ST /invoke/greeter/hello HTTP/1.1", host),
] + [head(None, host + b"X-A: a" + bytes([c]) + b"b\r\n") for c in (0x00, 0x01, 0x0B, 0x0C, 0x1B, 0x7F)]
for length in (b"-1", b"+4", b"0x4", b"4, 4", b"", b"9223372036854775808", b"99999999999999999999999"):
    heads.append(post(b"Content-Length: " + length + b"\r\n"))
for headers, payload in [
        (b"Content-Length: %d\r\nContent-Length: %d\r\n" % (n, n + 5), body + b"GET /"),
        (b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n" % n, chunked),
        (b"Transfer-Encoding: chunked, chunked\r\n", chunked),
        (b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", chunked),
        (b"Transfer-Encoding: chunked \r\n", chunked),
        (b"Transfer-Encoding: gzip, chunked\r\n", chunked),
        (b"Transfer-Encoding: identity\r\n", body),
        (b"Content-Length : 50\r\n", body),
        (b"Content-Length: %d\r\n" % n, body),
        (b"Transfer-Encoding: chunked\r\n", chunked),
        (b"Content-Length: %d\r\nContent-Length: %d\r\n" % (n, n), body)]:
    heads.append(post(headers, payload))
for target in ("/invoke/greeter/hello%00x", "/invoke/greeter/hello\0x", "/invoke/greeter/hello?q=%00"):
    heads.append(head(None, host, target=target))
# Served: HTTP/1.0 without Host, Host with a port, IPv6, IPv4, empty Host, HTAB and obs-text, bare LF line ends.
heads.append(head(None, b"", version=b"HTTP/1.0"))
for lines in (b"Host: a:8080\r\n", b"Host: [::1]:80\r\n", b"Host: 127.0.0.1\r\n", b"Host:\r\n",
              b"Host: a\r\nX-A: a\tb \r\nX-B: caf\xc3\xa9\r\nX-C:\r\n"):
    heads.append(head(None, lines))
heads.append(b"GET /healthz HTTP/1.1\nHost: a\nAccept: */*\n\n")
heads.append(b"GET /healthz HTTP/1.2\r\nHost: a\r\nConnection: close\r\n\r\n")
for h in heads:
    put("FuzzHead", h)

for target in ("FuzzValues", "FuzzFrames", "FuzzJSON", "FuzzWIT", "FuzzHead"):
    d = os.path.join(out, target)
    print(f"{target}: {len(os.listdir(d)) if os.path.isdir(d) else 0} seeds")
