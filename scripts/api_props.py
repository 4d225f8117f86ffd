#!/usr/bin/env python3
"""A property check of an HTTP API against its OpenAPI 3.1 document.

    python3 scripts/api_props.py [--seed N] [--max-body BYTES] URL

URL is where the app listens (http://127.0.0.1:8000); the document is read
from URL/api/openapi.json. For every operation the check makes, from the
document alone, requests that the document says are valid (every
constraint's edges: minimum and maximum, lengths, enums, formats, null
where a field is nullable, path ids and references taken from rows the
list operations return) and requests it says are not (just past each edge,
each wrong JSON type, a missing required field, an unknown one, malformed
JSON, another Content-Type, an empty body, a body past --max-body, a deeply
nested one, bad path and query parameters, a wrong If-Match), sends them,
and checks each answer:

- no 5xx;
- its status is declared for the operation (the code, or a declared 4XX
  or default);
- its Content-Type is one the response declares (problem+json for errors);
- a JSON body validates against the declared schema (python3-jsonschema,
  Draft 2020-12, formats checked, $ref resolved in components);
- a valid request gets a 2xx (or a 404 or 409 the operation declares,
  where the data says so: a taken unique value, an id that is gone);
  an invalid one a 4xx.

Requests are deterministic for a seed (printed). Writes are real: run it
on a scratch database. Exit status 0 when nothing failed. Only Python's
standard library and jsonschema (Debian: python3-jsonschema) are needed.
Kiln's conventions used beyond the document: a list's `cursor` is the
`next` of a page, and free-form operations (every schema `{}`) are
listed, not exercised (the document promises nothing about them).
"""

import argparse
import http.client
import json
import os
import random
import re
import socket
import sys
import time
from urllib.parse import quote, urlsplit

import jsonschema

METHOD_ORDER = {"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 4}
# text that is valid JSON but trips careless code: NUL, LIKE wildcards,
# quotes, backslashes, non-ASCII, long
ODD_TEXT = ["\x00", "a\x00b", "%", "_", "'", "\\", "\"", "\u00e9t\u00e9",
            "\U0001F600", "\u2028", "</script>", "x" * 3000, " ", "-",
            "--", ",", ",,", "null", "1e999"]
ODD_QUERY = ["\x00", "a\x00b", "%", "_", "'", "\\", "\u00e9t\u00e9",
             "x" * 3000, ",,"]
ODD_NUMBERS = [1.0, 1e2, -0.0, 1e308, 5e-324, 2 ** 53 + 1, -2 ** 63,
               2 ** 63 - 1]
WRONG_TYPES = [0, 7, 1.5, "x", True, [], {}, None, [1], {"a": 1}]


class Result:
    def __init__(self):
        self.requests = 0
        self.failures = []
        self.ok_valid = {}      # operationId: valid requests answered 2xx
        self.sent_valid = 0
        self.sent_invalid = 0
        self.statuses = {}
        self.skipped = []


class Check:
    def __init__(self, host, port, seed, max_body, timeout, out, token=None):
        self.host, self.port, self.timeout = host, port, timeout
        self.token = token    # Authorization: Bearer, on every request
        self.rng = random.Random(seed)
        self.max_body = max_body
        self.out = out
        self.res = Result()
        self.validators = {}  # schema text: validator
        self.by_id = {}       # id(schema): (schema, validator)
        self.derefs = {}      # id(schema): (schema, resolved)
        self.made = {}        # (id(schema), existing): (schema, values)
        self.n = 0

    # ---- HTTP ------------------------------------------------------------

    def send(self, method, target, body=None, ctype=None, headers=None):
        """(status, {lower-case header: value}, body bytes)."""
        s = socket.create_connection((self.host, self.port),
                                     timeout=self.timeout)
        head = ["%s %s HTTP/1.1" % (method.upper(), target),
                "Host: %s:%d" % (self.host, self.port), "Connection: close"]
        if ctype is not None:
            head.append("Content-Type: " + ctype)
        hs = dict(headers or {})
        if self.token and "Authorization" not in hs:
            hs["Authorization"] = "Bearer " + self.token
        for k, v in hs.items():
            head.append("%s: %s" % (k, v))
        data = body if body is not None else b""
        if body is not None or method.upper() in ("POST", "PUT", "PATCH"):
            head.append("Content-Length: %d" % len(data))
        try:
            try:
                s.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # answered before the body was read: read the answer
            r = http.client.HTTPResponse(s, method=method.upper())
            r.begin()
            raw = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            return r.status, hdrs, raw
        finally:
            s.close()

    # ---- the document ----------------------------------------------------

    def deref(self, s):
        """s with its $ref followed (siblings of the $ref kept)."""
        hit = self.derefs.get(id(s))
        if hit and hit[0] is s:
            return hit[1]
        out = self.deref_(s)
        self.derefs[id(s)] = (s, out)
        return out

    def deref_(self, s):
        seen = 0
        while isinstance(s, dict) and "$ref" in s and seen < 32:
            node = self.doc
            for part in s["$ref"].lstrip("#/").split("/"):
                node = node[part]
            rest = {k: v for k, v in s.items() if k != "$ref"}
            s = dict(node, **rest)
            seen += 1
        return s

    def validator(self, schema):
        hit = self.by_id.get(id(schema))
        if hit and hit[0] is schema:
            return hit[1]
        key = json.dumps(schema, sort_keys=True)
        v = self.validators.get(key)
        if v is None:
            root = dict(schema)
            root["$defs"] = self.doc.get("components", {}).get("schemas", {})
            text = json.dumps(root).replace("#/components/schemas/",
                                            "#/$defs/")
            cls = jsonschema.Draft202012Validator
            v = cls(json.loads(text), format_checker=cls.FORMAT_CHECKER)
            self.validators[key] = v
        self.by_id[id(schema)] = (schema, v)
        return v

    def valid(self, schema, value):
        return self.validator(schema).is_valid(value)

    def types(self, s):
        s = self.deref(s)
        if "anyOf" in s:
            out = set()
            for b in s["anyOf"]:
                out |= self.types(b)
            return out
        if "enum" in s:
            return {"string"}
        t = s.get("type")
        if t is None:
            return {"any"}
        return set(t) if isinstance(t, list) else {t}

    # ---- values ----------------------------------------------------------

    def word(self, n, alphabet="abcdefghijklmnopqrstuvwxyz"):
        """n letters, the first (at most) 8 of them random."""
        head = "".join(self.rng.choice(alphabet) for _ in range(min(n, 8)))
        return head + alphabet[0] * (n - len(head))

    def strings(self, s):
        fmt = s.get("format")
        if fmt == "date":
            return ["2024-02-29", "0001-01-01", "9999-12-31", "2026-12-04"]
        if fmt == "date-time":
            return ["2026-03-05T14:07:00Z", "2026-03-05T14:07:00.123+02:00",
                    "1970-01-01T00:00:00.000001Z"]
        if fmt == "email":
            return ["a@b.co", "first.last+%s@example.com" % self.word(5)]
        if fmt == "uri":
            return ["https://example.com/", "http://example.com/a?b=c#d"]
        if fmt == "uuid":
            return ["0f8fad5b-d9cb-469f-a165-70867728950e",
                    "0F8FAD5B-D9CB-469F-A165-70867728950E"]
        pat = s.get("pattern", "")
        m = re.search(r"\{1,(\d+)\}\(\\\.\[0-9\]\{1,(\d+)\}\)", pat)
        if fmt == "decimal" and m:
            i, f = int(m.group(1)), int(m.group(2))
            return ["0", "9" * i + "." + "9" * f, "-" + "9" * i, "1.5"[:2 + f]]
        if fmt == "decimal":
            return ["0", "-1", "12"]
        lo = s.get("minLength", 0)
        hi = s.get("maxLength", max(lo, 12))
        out = []
        for n in sorted({lo, hi, min(lo + 1, hi)}):
            out.append(self.word(n))
            if n:  # code points, not bytes: two-byte and four-byte ones
                out.append(self.word(n - 1) + "\u00e9")
                out.append("\U0001F600" * n)
        if pat:  # words of the pattern: alternatives it spells out
            # (each once: "^-?(id)(,-?(id))*$" spells one name twice, and
            # "id,id" names a field twice, which a list refuses)
            words = list(dict.fromkeys(
                re.findall(r"[A-Za-z_][A-Za-z0-9_]*", pat)))
            out += words + ["-" + w for w in words]
            out += ["00:00", "23:59:59", "14:07:00.250", "a-1", "abc", "1",
                    "1,2", "-3"]
            if len(words) > 1:
                out.append(words[0] + "," + words[-1])
        return out

    def values(self, s, existing=()):
        """Values of schema s, its edges first; all validate against s.
        Made once per schema; plain strings are made afresh each time (a
        unique field gets a new value)."""
        key = (id(s), json.dumps(list(existing), sort_keys=True))
        hit = self.made.get(key)
        if not hit or hit[0] is not s:
            hit = (s, self.values_(s, existing))
            self.made[key] = hit
        d = self.deref(s)
        if "string" in self.types(d) and not (
                {"enum", "format", "pattern"} & set(d)):
            return [self.word(len(v)) if isinstance(v, str) and v.isascii()
                    and v.isalpha() else v for v in hit[1]]
        return list(hit[1])

    def values_(self, s, existing):
        s = self.deref(s)
        out = []
        if "anyOf" in s:
            for b in s["anyOf"]:
                out += self.values(b, existing)
        ts = self.types(s)
        if "null" in ts:
            out.append(None)
        if "enum" in s:
            out += list(s["enum"])
        elif ts & {"integer", "number"}:
            lo, hi = s.get("minimum"), s.get("maximum")
            cands = [x for x in existing if isinstance(x, (int, float))
                     and not isinstance(x, bool)]
            for v in (lo, hi):
                if v is not None:
                    cands += [v, v + 1, v - 1]
            if lo is not None and hi is not None and "number" in ts:
                cands.append((lo + hi) / 2)
            if lo is None and hi is None and not cands:
                cands = [1, 0]
            out += [int(c) if "integer" in ts and float(c).is_integer()
                    else c for c in cands]
        if "boolean" in ts:
            out += [True, False]
        if "string" in ts and "enum" not in s:
            out += self.strings(s)
        if "array" in ts:
            out += [x for x in existing if isinstance(x, list)]
            out.append([])
            it = s.get("items", {})
            out.append(self.values(it)[:1])
        if "object" in ts and "properties" in s:
            out.append(self.body(s, {}))
        if "any" in ts:
            out += [1, "x", None, True, {"a": [1, 2.5]}]
        good, seen = [], set()
        for v in out:
            k = json.dumps(v, sort_keys=True)
            if k not in seen and self.valid(s, v):
                seen.add(k)
                good.append(v)
        return good

    def wrong(self, s):
        """(value, why) pairs that schema s refuses: past its edges, of
        another type, badly formatted."""
        s = self.deref(s)
        ts = self.types(s)
        out = [(v, "type %s" % type(v).__name__) for v in WRONG_TYPES]
        out += [(2 ** 63, "past int64"), (-2 ** 63 - 1, "past int64")]
        if "enum" in s:
            out.append(("zz-not-one", "not in the enum"))
        for key, d in (("minimum", -1), ("maximum", 1)):
            if key in s:
                out.append((s[key] + d, key))
                if "number" in ts:
                    out.append((s[key] + d * 1e-6, key + " (just past)"))
        if "minLength" in s and s["minLength"] > 0:
            out.append(("a" * (s["minLength"] - 1), "minLength"))
        if "maxLength" in s:
            out.append(("b" * (s["maxLength"] + 1), "maxLength"))
            out.append(("\u00e9" * (s["maxLength"] + 1), "maxLength (code "
                        "points)"))
        fmt = s.get("format")
        bad = {"date": ["2026-02-30", "2026-13-01", "2026-1-1", "26-01-01"],
               "date-time": ["2026-03-05T14:07:00", "2026-03-05",
                             "2026-03-05T25:00:00Z"],
               "email": ["no-at-sign", "a@", "@b.co"],
               "uri": ["not a url", "/relative"],
               "uuid": ["0f8fad5b", "0f8fad5b-d9cb-469f-a165-70867728950z"],
               "decimal": ["1e5", "1.", ".5", "99999999999.999", "abc"]}
        for v in bad.get(fmt, []):
            out.append((v, "format " + fmt))
        if "pattern" in s:
            out += [("!!", "pattern"), ("", "pattern"), ("99:99", "pattern")]
        if "maxItems" in s:
            out.append(([1] * (s["maxItems"] + 1), "maxItems"))
        if s.get("uniqueItems"):
            out.append(([1, 1], "uniqueItems"))
        if "items" in s:
            for v, why in self.wrong(s["items"])[:4]:
                out.append(([v], "item " + why))
        return [(v, w) for v, w in out if not self.valid(s, v)]

    def body(self, s, row):
        """A valid object of schema s, taking reference-like values from an
        existing row (numbers, arrays) and making strings afresh."""
        s = self.deref(s)
        obj = {}
        for name, ps in s.get("properties", {}).items():
            if self.deref(ps).get("readOnly"):
                continue
            ex = [row[name]] if name in row else []
            if ex and "string" in self.types(ps):
                ex = []
            if ex and isinstance(ex[0], dict):
                ex = [ex[0].get("id")]
            vals = [v for v in self.values(ps, ex) if v is not None] or \
                self.values(ps, ex)
            if ex and ex[0] in vals:
                obj[name] = ex[0]
            elif vals:
                obj[name] = vals[0]
        return obj

    # ---- answers ---------------------------------------------------------

    def fail(self, op, what, req, status, raw):
        self.res.failures.append("%s %s: %s -> %s %s" % (
            op["operationId"], req, what, status, raw[:300]))

    def judge(self, op, kind, req, status, hdrs, raw):
        """Checks one answer; kind is 'valid', 'invalid' or 'any'."""
        res = self.res
        res.requests += 1
        res.statuses[status] = res.statuses.get(status, 0) + 1
        text = raw.decode("utf-8", "replace")
        if status >= 500:
            return self.fail(op, "a server error", req, status, text)
        rs = op.get("responses", {})
        key = str(status)
        if key not in rs:
            key = "%dXX" % (status // 100)
            if key not in rs:
                key = "default"
        if key not in rs:
            return self.fail(op, "status not declared (%s)" % sorted(rs),
                             req, status, text)
        decl = self.deref(rs[key])
        content = decl.get("content")
        ctype = hdrs.get("content-type", "").split(";")[0].strip().lower()
        if not content:
            if raw:
                self.fail(op, "a body where none is declared", req, status,
                          text)
        elif ctype not in content:
            self.fail(op, "content type %r not declared (%s)" % (
                ctype, sorted(content)), req, status, text)
        elif "json" in ctype:
            try:
                value = json.loads(raw)
            except ValueError:
                return self.fail(op, "not JSON", req, status, text)
            schema = content[ctype].get("schema", {})
            errs = sorted(self.validator(schema).iter_errors(value),
                          key=lambda e: list(e.absolute_path))
            if errs:
                e = errs[0]
                self.fail(op, "the body does not validate at /%s: %s" % (
                    "/".join(map(str, e.absolute_path)), e.message[:200]),
                    req, status, text)
        ok2 = 200 <= status < 300
        if kind == "valid":
            res.sent_valid += 1
            if ok2:
                oid = op["operationId"]
                res.ok_valid[oid] = res.ok_valid.get(oid, 0) + 1
            elif status not in (404, 409):
                self.fail(op, "a valid request refused", req, status, text)
        elif kind == "invalid":
            res.sent_invalid += 1
            if not 400 <= status < 500:
                self.fail(op, "an invalid request accepted", req, status,
                          text)

    # ---- operations ------------------------------------------------------

    def collection_rows(self, path):
        """Rows of the list operation at path (GET returning items)."""
        item = self.doc["paths"].get(path, {})
        if "get" not in item:
            return []
        st, _, raw = self.send("GET", path + "?limit=%d" % self.page_max(
            item["get"]))
        if st != 200:
            return []
        try:
            page = json.loads(raw)
        except ValueError:
            return []
        return page.get("items", []) if isinstance(page, dict) else []

    def page_max(self, op):
        for p in op.get("parameters", []):
            p = self.deref(p)
            if p.get("name") == "limit":
                return self.deref(p.get("schema", {})).get("maximum", 20)
        return 20

    def path_values(self, path, name, schema):
        """(valid ids, a path) for the parameter {name} of path: ids of
        the rows of the collection before it."""
        coll = path.split("/{" + name + "}")[0]
        rows = self.collection_rows(coll)
        ids = [r["id"] for r in rows if isinstance(r, dict) and "id" in r]
        if not ids:
            ids = [v for v in self.values(schema) if v is not None][:3]
        return ids

    def free_form(self, op):
        schemas = []
        for code, r in op.get("responses", {}).items():
            if not code.startswith("2"):
                continue
            for c in self.deref(r).get("content", {}).values():
                schemas.append(c.get("schema", {}))
        rb = op.get("requestBody", {}).get("content", {})
        schemas += [c.get("schema", {}) for c in rb.values()]
        q = [p for p in op.get("parameters", [])
             if self.deref(p).get("in") == "query"]
        return not q and bool(schemas) and all(s == {} for s in schemas)

    def target(self, path, pvals, query=()):
        t = path
        for k, v in pvals.items():
            t = t.replace("{" + k + "}", quote(str(v), safe=""))
        if query:
            t += "?" + "&".join("%s=%s" % (quote(k, safe=""),
                                           quote(qstr(v), safe=","))
                                for k, v in query)
        return t

    def run_op(self, path, method, op):
        params = [self.deref(p) for p in op.get("parameters", [])]
        pparams = [p for p in params if p.get("in") == "path"]
        qparams = [p for p in params if p.get("in") == "query"]
        hparams = {p["name"].lower() for p in params if p.get("in") == "header"}
        ids = {}
        for p in pparams:
            ids[p["name"]] = self.path_values(path, p["name"],
                                              p.get("schema", {}))
        if any(not v for v in ids.values()):
            self.res.skipped.append("%s: no row to address" %
                                    op["operationId"])
            return
        # DELETE takes the newest row; others the first
        pick = -1 if method == "delete" else 0
        good = {k: v[pick] for k, v in ids.items()}

        rb = op.get("requestBody")
        has_body = bool(rb)
        qbody = None
        if has_body:  # query and header cases carry a valid body
            qctype = next(iter(rb.get("content", {})))
            qbody = json.dumps(self.body_of(rb, path)).encode()

        def go(kind, pv=None, query=(), body=None, ctype=None, headers=None,
               why=""):
            if body is None and has_body and (query or headers):
                body, ctype = qbody, qctype
            t = self.target(path, pv if pv is not None else good, query)
            label = "%s %s%s" % (method.upper(), t[:160],
                                 " (%s)" % why if why else "")
            try:
                st, h, raw = self.send(method, t, body, ctype, headers)
            except OSError as e:
                self.res.requests += 1
                self.fail(op, "no answer (%s)" % e, label, 0, "")
                return 0, {}, b""
            self.judge(op, kind, label, st, h, raw)
            return st, h, raw

        if not has_body and method != "delete":
            go("valid")
        # path parameters past their edges
        for p in pparams:
            for bad in ("0", "-1", "abc", "1.5", "99999999999999999999",
                        "9223372036854775807", "1e3", "%C3%A9"):
                pv = dict(good, **{p["name"]: bad})
                t = self.target(path, pv).replace("%25C3%25A9", "%C3%A9")
                st, h, raw = self.send(method, t,
                                       b"{}" if has_body else None,
                                       "application/json" if has_body
                                       else None)
                self.judge(op, "invalid", "%s %s (bad path %s)" % (
                    method.upper(), t, p["name"]), st, h, raw)
        # query parameters
        cursor = None
        for p in qparams:
            s = p.get("schema", {})
            name = p["name"]
            if name == "cursor":
                st, _, raw = self.send("GET", self.target(
                    path, good, [("limit", 1)]))
                try:
                    cursor = json.loads(raw).get("next")
                except (ValueError, AttributeError):
                    cursor = None
                if cursor:
                    go("valid", query=[("limit", 1), ("cursor", cursor)])
                for bad in ("!!!", "AAAA", "eyJ4IjoxfQ", "a" * 300):
                    go("invalid", query=[("cursor", bad)], why="bad cursor")
                continue
            free = self.deref(s) == {"type": "string"}
            for v in self.values(s):
                if v is None:
                    continue
                go("any" if free else "valid", query=[(name, v)])
            for v, why in self.wrong(s):
                if v is None or isinstance(v, (list, dict)):
                    continue
                if isinstance(v, str) and v == "":
                    continue  # an empty value is "no value" in a query
                if not isinstance(v, (str, float)) and \
                        not why.startswith(("minimum", "maximum", "past")):
                    continue  # a query value is text: 7 is "7", true "1"
                if "string" in self.types(s) and self.valid(s, qstr(v)):
                    continue  # "1.5" is a string too
                go("invalid", query=[(name, v)], why=why)
        for p in qparams:  # odd text: no answer may be a 5xx
            ps = self.deref(p.get("schema", {}))
            if "string" not in self.types(ps) or "format" in ps:
                continue
            for v in ODD_QUERY:
                go("any", query=[(p["name"], v)], why="odd text")
        if qparams:  # random pairs of valid values
            pool = []
            for p in qparams:
                s = p.get("schema", {})
                if p["name"] != "cursor" and self.deref(s) != {
                        "type": "string"}:
                    pool += [(p["name"], v) for v in self.values(s)
                             if v is not None]
            for i in range(min(60, len(pool))):
                pair = self.rng.sample(pool, 2) if len(pool) > 1 else pool
                if len({k for k, _ in pair}) == len(pair):
                    go("valid", query=pair, why="pair")
            go("any", query=[("zz_unknown", "1")], why="unknown parameter")
            go("any", query=[("limit", "1"), ("limit", "2")],
               why="repeated parameter")
        # headers
        if "if-match" in hparams:
            go("invalid", headers={"If-Match": '"0000"'},
               why="a stale If-Match")
        if "if-none-match" in hparams:
            st, h, _ = go("valid")
            if h.get("etag"):
                go("any", headers={"If-None-Match": h["etag"]},
                   why="If-None-Match")
        if method == "delete":
            go("valid")
            go("invalid", why="deleted already")
        if has_body:
            self.run_body(op, path, rb, go)

    def body_of(self, rb, path):
        ctype, media = next(iter(rb.get("content", {}).items()))
        rows = self.collection_rows(re.sub(r"/\{[^}]+\}$", "", path))
        return self.body(media.get("schema", {}), rows[0] if rows else {})

    def run_body(self, op, path, rb, go):
        content = rb.get("content", {})
        coll = re.sub(r"/\{[^}]+\}$", "", path)
        rows = self.collection_rows(coll)
        row = rows[0] if rows else {}
        for ctype, media in content.items():
            s = self.deref(media.get("schema", {}))
            if s == {}:
                continue
            props = s.get("properties", {})
            req = s.get("required", [])

            def send(kind, obj, why, ct=ctype):
                go(kind, body=json.dumps(obj).encode(), ctype=ct, why=why)

            send("valid", self.body(s, row), "base")
            send("valid", {k: v for k, v in self.body(s, row).items()
                           if k in req}, "required fields only")
            for name, ps in props.items():
                if self.deref(ps).get("readOnly"):
                    continue
                for v in self.values(ps, [row[name]] if name in row and
                                     not isinstance(row[name], (str, dict))
                                     else []):
                    b = self.body(s, row)
                    b[name] = v
                    send("valid", b, "%s=%s" % (name, short(v)))
                for v, why in self.wrong(ps):
                    b = self.body(s, row)
                    b[name] = v
                    send("invalid", b, "%s: %s" % (name, why))
                if name in req:
                    b = self.body(s, row)
                    del b[name]
                    send("invalid", b, "%s missing" % name)
            # random mixes of valid values, every field at once
            for i in range(20):
                b = self.body(s, row)
                for name, ps in props.items():
                    if name in b:
                        vals = self.values(ps, [b[name]] if not isinstance(
                            b[name], str) else [])
                        if vals:
                            b[name] = self.rng.choice(vals)
                send("valid", b, "mix %d" % i)
            # odd text in each string field, odd numbers in each number
            for name, ps in props.items():
                ts = self.types(ps)
                odd = (ODD_TEXT if "string" in ts else
                       ODD_NUMBERS if ts & {"integer", "number"} else [])
                for v in odd:
                    b = self.body(s, row)
                    b[name] = v
                    # (formats aside: the validator checks few of them)
                    sure = isinstance(v, str) and "\x00" not in v and \
                        "format" not in self.deref(ps) and self.valid(ps, v)
                    send("valid" if sure else "any", b,
                         "%s: odd %s" % (name, short(v)))
            if s.get("additionalProperties") is False:
                b = self.body(s, row)
                b["zz_unknown"] = 1
                send("invalid", b, "an unknown field")
            for v in (["a"], "text", 3, None):
                send("invalid", v, "top level %s" % type(v).__name__)
        base = json.dumps(self.body_of(rb, path)).encode()
        raw_cases = [
            (b'{"a": ', "application/json", "malformed JSON"),
            (b'{"a": 1,}', "application/json", "a trailing comma"),
            (b"\xff\xfe{}", "application/json", "not UTF-8"),
            (b"", "application/json", "an empty body"),
            (base, "text/plain", "another content type"),
            (base, "application/json; charset=latin-1", "another charset"),
            (b"[" * 20000 + b"]" * 20000, "application/json",
             "deeply nested"),
            (b'{"a":' + b'{"a":' * 5000 + b"1" + b"}" * 5001,
             "application/json", "deeply nested objects"),
            (b'{"x":"' + b"a" * (self.max_body + 16) + b'"}',
             "application/json", "past server.max_body"),
        ]
        for body, ct, why in raw_cases:
            go("invalid", body=body, ctype=ct, why=why)
        go("invalid", body=base, ctype=None, why="no content type")

    def run(self, url_path="/api/openapi.json"):
        st, _, raw = self.send("GET", url_path)
        if st != 200:
            self.res.failures.append("%s: %d" % (url_path, st))
            return self.res
        self.doc = json.loads(raw)
        ops = []
        for path, item in self.doc.get("paths", {}).items():
            for method, op in item.items():
                if method in METHOD_ORDER:
                    ops.append((method == "delete", path, METHOD_ORDER[method],
                                method, op))
        ops.sort(key=lambda o: (o[0], o[1], o[2]))
        start = time.time()
        for _, path, _, method, op in ops:
            if self.free_form(op):
                self.res.skipped.append("%s: free-form" % op["operationId"])
                continue
            before = self.res.requests
            self.run_op(path, method, op)
            self.out("  %-26s %-6s %-28s %4d requests" % (
                op["operationId"], method.upper(), path,
                self.res.requests - before))
        r = self.res
        self.out("%d requests in %.1fs (%d valid, %d invalid), statuses %s" % (
            r.requests, time.time() - start, r.sent_valid, r.sent_invalid,
            " ".join("%d:%d" % kv for kv in sorted(r.statuses.items()))))
        for s in r.skipped:
            self.out("  not exercised: " + s)
        self.out("%d failures" % len(r.failures))
        return r


def qstr(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def short(v):
    t = json.dumps(v)
    return t if len(t) < 40 else t[:37] + "..."


def run(host, port, seed=1, max_body=10 * 1024 * 1024, timeout=10.0,
        out=print, token=None):
    """Runs the check against the app at host:port; returns a Result.
    token: an API token sent as a bearer with every request (an app whose
    API needs a user: a superuser's token reaches every operation)."""
    out("api_props: seed %d" % seed)
    return Check(host, port, seed, max_body, timeout, out, token).run()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url", help="http://127.0.0.1:8000")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-body", type=int, default=10 * 1024 * 1024,
                    help="the app's server.max_body (bytes)")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--token", default=os.environ.get("KILN_PROPS_TOKEN"),
                    help="an API token sent as a bearer (default: "
                         "$KILN_PROPS_TOKEN), from `kiln token create USER`")
    a = ap.parse_args()
    u = urlsplit(a.url)
    r = run(u.hostname or "127.0.0.1", u.port or 80, a.seed, a.max_body,
            a.timeout, token=a.token)
    for f in r.failures:
        print("FAIL " + f)
    return 1 if r.failures else 0


if __name__ == "__main__":
    sys.exit(main())
