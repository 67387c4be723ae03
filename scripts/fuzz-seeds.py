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
for target in ("FuzzValues", "FuzzFrames", "FuzzJSON", "FuzzWIT"):
    d = os.path.join(out, target)
    print(f"{target}: {len(os.listdir(d)) if os.path.isdir(d) else 0} seeds")
