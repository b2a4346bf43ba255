#!/bin/sh
# timeline: the Chrome trace-event file decodes (python3's json, as Perfetto's JSON importer
# would take it), every slice and instant is well formed, and its counts are those of the run:
# a DMA slice per operation and a hypercall slice per call of each opcode (setup included) for
# every strategy, a DMA instant per recorded DMA event and a slice per recorded hypercall pair.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
PY=${ISM_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || skip "no $PY"
SC="$ISM_SRCDIR/scenarios/qemu-pseries.json"
TR="$TRACES/pseries-noddw.txt.xz"
S=window32,direct-tce,ddw,svm

expect_exit 0 "$ISM_BIN" timeline -s "$SC" -S "$S" -o "$T/tl.json" "$TR"
grep -q "ui.perfetto.dev" "$ERR" || fail "timeline does not say where it wrote"
expect_exit 0 "$ISM_BIN" run -s "$SC" -S "$S" --json "$TR"
cp "$OUT" "$T/run.json"
expect_exit 0 "$ISM_BIN" stats --json "$TR"
cp "$OUT" "$T/stats.json"

"$PY" - "$T/tl.json" "$T/run.json" "$T/stats.json" >"$T/check.out" 2>&1 <<'PYEOF' ||
import collections, json, sys
tl = json.load(open(sys.argv[1]))
run = json.load(open(sys.argv[2]))
stats = json.load(open(sys.argv[3]))
bad = []
ev = tl["traceEvents"]
md = tl["metadata"]
if md["schema_version"] != 1:
    bad.append("metadata schema_version %r" % md["schema_version"])
if md["events"] != len(ev):
    bad.append("metadata says %d events, the file has %d" % (md["events"], len(ev)))
names = {}
for e in ev:
    if e["ph"] == "M" and e["name"] == "process_name":
        names[e["pid"]] = e["args"]["name"]
    if e["ph"] in "Xi" and not (isinstance(e["ts"], (int, float)) and e["ts"] >= 0):
        bad.append("bad ts: %r" % e)
    if e["ph"] == "X" and not e["dur"] >= 0:
        bad.append("negative dur: %r" % e)
count = collections.Counter((e["pid"], e["ph"], e.get("cat"), e["name"]) for e in ev)
opname = {0x20: "H_PUT_TCE", 0x13c: "H_PUT_TCE_INDIRECT", 0x138: "H_STUFF_TCE",
          0xF130: "UV_SHARE_PAGE", 0xF134: "UV_UNSHARE_PAGE"}
for s in run["strategies"]:
    pid = [p for p, n in names.items() if n == "simulated: " + s["strategy"]]
    if len(pid) != 1:
        bad.append("no process for %s" % s["strategy"])
        continue
    pid = pid[0]
    maps = sum(count[(pid, "X", "dma", k)] for k in ("map", "map_sg", "alloc"))
    unmaps = sum(count[(pid, "X", "dma", k)] for k in ("unmap", "unmap_sg", "free"))
    if maps != s["maps"] or unmaps != s["unmaps"]:
        bad.append("%s: %d map and %d unmap slices, run says %d and %d" %
                   (s["strategy"], maps, unmaps, s["maps"], s["unmaps"]))
    for c in s["calls"]:
        n = opname.get(c["opcode"])
        if not n:
            continue
        cat = "ucall" if c["opcode"] >= 0xF000 else "hcall"
        if count[(pid, "X", cat, n)] != c["calls"]:
            bad.append("%s: %d %s slices, run says %d calls" %
                       (s["strategy"], count[(pid, "X", cat, n)], n, c["calls"]))
rec = stats["traces"][0]
dma = sum(v for k, v in rec["events_by_kind"].items()
          if k not in ("hcall_entry", "hcall_exit", "marker", "lost", "unknown", "bounce"))
rdma = sum(v for (p, ph, cat, n), v in count.items() if p == 1 and ph == "i" and cat == "dma")
if rdma != dma:
    bad.append("%d recorded DMA instants, stats says %d DMA events" % (rdma, dma))
pairs = sum(h["paired"] for h in rec["hcalls"])
rh = sum(v for (p, ph, cat, n), v in count.items() if p == 1 and ph == "X" and cat == "hcall")
if rh != pairs:
    bad.append("%d recorded hcall slices, stats says %d pairs" % (rh, pairs))
if not any(k[0] == 2 and k[1] == "C" for k in count):
    bad.append("no counter track")
if not any(k[1] == "i" and k[2] == "phase" for k in count):
    bad.append("no phase instants")
print("\n".join(bad) if bad else "ok")
sys.exit(1 if bad else 0)
PYEOF
	fail "$(head -20 "$T/check.out")"

# bad use
expect_exit 2 "$ISM_BIN" timeline -o "$T/x.json" "$TR"
expect_exit 2 "$ISM_BIN" timeline -S ddw "$TR"
expect_exit 2 "$ISM_BIN" timeline -S nosuch -o "$T/x.json" "$TR"
expect_exit 2 "$ISM_BIN" timeline -S ddw -o "$T/x.json" /nonexistent
pass
