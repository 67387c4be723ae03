"""Validates responses of the operations schemathesis 4.32 cannot check.

schemathesis converts response schemas to draft 7, turning `prefixItems` into
an `items` array, and then rejects its own conversion as an invalid 3.1
Schema Object. For operations whose responses hold tuples, this script sends
a minimal valid request built from the request schema and validates the
response with a JSON Schema 2020-12 validator.

usage: openapi_responses.py list DOC        -> operation ids with tuples in responses
       openapi_responses.py check DOC URL   -> validate those operations' responses
"""
import json
import sys
import urllib.request

from jsonschema import Draft202012Validator


def resolve(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        parts = node["$ref"].lstrip("#/").split("/")
        node = doc
        for p in parts:
            node = node[p]
    return node


def has_prefix_items(doc, node, seen=None):
    seen = seen if seen is not None else set()
    if isinstance(node, dict):
        if "$ref" in node:
            if node["$ref"] in seen:
                return False
            seen.add(node["$ref"])
            return has_prefix_items(doc, resolve(doc, node), seen)
        return "prefixItems" in node or any(has_prefix_items(doc, v, seen) for v in node.values())
    if isinstance(node, list):
        return any(has_prefix_items(doc, v, seen) for v in node)
    return False


def operations(doc):
    for path, item in doc["paths"].items():
        op = item["post"]
        ok = op["responses"].get("200")
        if ok and has_prefix_items(doc, ok):
            yield path, op


def minimal(doc, schema):
    """A small instance valid for the schema subset the gateway emits."""
    schema = resolve(doc, schema)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "oneOf" in schema:
        return minimal(doc, schema["oneOf"][0])
    t = schema.get("type")
    if t == "object":
        props = schema.get("properties", {})
        return {k: minimal(doc, props[k]) for k in schema.get("required", [])}
    if t == "array":
        if "prefixItems" in schema:
            return [minimal(doc, s) for s in schema["prefixItems"]]
        return [minimal(doc, schema["items"]) for _ in range(schema.get("minItems", 0))]
    if t == "integer":
        return max(schema.get("minimum", 0), 0)
    if t == "number":
        return 0.5
    if t == "boolean":
        return True
    if t == "null":
        return None
    if t == "string":
        return "a" * schema.get("minLength", 0)
    return None


def main():
    mode, path = sys.argv[1], sys.argv[2]
    doc = json.load(open(path))
    if mode == "list":
        for _, op in operations(doc):
            print(op["operationId"])
        return
    base = sys.argv[3]
    failures = 0
    checked = 0
    for p, op in operations(doc):
        body_schema = op["requestBody"]["content"]["application/json"]["schema"]
        body = minimal(doc, body_schema)
        request = urllib.request.Request(base + urllib.request.quote(p, safe="/:@"), data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json", "Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as reply:
            status = reply.status
            value = json.loads(reply.read())
        schema = resolve(doc, op["responses"]["200"])["content"]["application/json"]["schema"]
        # Validate with the document's components reachable through $ref.
        wrapper = dict(schema)
        wrapper["components"] = doc["components"]
        errors = list(Draft202012Validator(wrapper).iter_errors(value))
        checked += 1
        if status != 200 or errors:
            failures += 1
            print(f"FAIL {op['operationId']}: HTTP {status}; {[e.message for e in errors][:3]}", file=sys.stderr)
        else:
            print(f"ok   {op['operationId']}: response matches its schema")
    print(f"tuple responses: {checked - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
