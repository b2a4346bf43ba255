#!/usr/bin/python3
"""check.py: validate iommusim outputs against the JSON Schemas of schemas/.

usage: check.py SCHEMA_DIR SCHEMA=FILE...

SCHEMA is a file name in SCHEMA_DIR. A schema named *.csv.schema.json describes one row of
a CSV file: the file is read with pandas.read_csv(f) and no options (as a user would), its
header must hold unique names, every row must validate and the columns must be the schema's
required ones in that order. A FILE ending in .jsonl is JSON lines (one document a line).
Every schema of SCHEMA_DIR must be used at least once, so that no schema goes stale.
Exit 0 when every file validates; 1 with one line per problem otherwise.
"""
import csv
import json
import math
import os
import sys

import jsonschema
import pandas


def load_schema(d, name, cache):
    if name not in cache:
        with open(os.path.join(d, name)) as f:
            cache[name] = json.load(f)
        jsonschema.Draft202012Validator.check_schema(cache[name])
    return cache[name]


def validator(d, name, cache):
    s = load_schema(d, name, cache)
    base = "file://" + os.path.abspath(d) + "/"
    resolver = jsonschema.RefResolver(base_uri=base + name, referrer=s)
    return jsonschema.Draft202012Validator(s, resolver=resolver)


def rows(path):
    """The CSV's rows as dicts, read like a user would, plus header problems."""
    probs = []
    with open(path, newline="") as f:
        header = next(csv.reader(f), [])
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        probs.append("duplicate column names: " + ", ".join(dup))
    df = pandas.read_csv(path)
    out = []
    for rec in df.to_dict(orient="records"):
        row = {}
        for k, v in rec.items():
            if isinstance(v, float) and math.isnan(v):
                continue   # an empty field
            if hasattr(v, "item"):
                v = v.item()
            row[k] = v
        out.append(row)
    return header, out, probs


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().split("\n")[2], file=sys.stderr)
        return 2
    d = argv[1]
    cache, used, bad, checked = {}, set(), 0, 0
    for pair in argv[2:]:
        name, _, path = pair.partition("=")
        used.add(name)
        v = validator(d, name, cache)
        if name.endswith(".csv.schema.json"):
            header, docs, probs = rows(path)
            want = cache[name].get("required", [])
            if not any(k in cache[name] for k in ("patternProperties",)) and header != want:
                probs.append("columns %s, the schema's are %s" % (header, want))
            if not docs:
                probs.append("no rows")
        elif path.endswith(".jsonl"):
            with open(path) as f:
                docs = [json.loads(line) for line in f if line.strip()]
            probs = [] if docs else ["no lines"]
        else:
            with open(path) as f:
                docs = [json.load(f)]
            probs = []
        for p in probs:
            print("%s: %s" % (path, p))
            bad += 1
        for i, doc in enumerate(docs):
            for e in sorted(v.iter_errors(doc), key=lambda e: list(e.path))[:5]:
                where = "/".join(str(x) for x in e.path) or "(top)"
                print("%s: %s%s: %s (schema %s)" % (path, "row %d: " % (i + 1) if len(docs) > 1 else "",
                                                    where, e.message[:200], name))
                bad += 1
        checked += 1
    unused = sorted(set(f for f in os.listdir(d) if f.endswith(".schema.json")) - used)
    for u in unused:
        print("%s: no output was checked against it" % os.path.join(d, u))
        bad += 1
    if not bad:
        print("%d files valid against %d schemas" % (checked, len(used)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
