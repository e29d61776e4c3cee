#!/usr/bin/python3
"""Joins the rows the bench programs wrote (results CSV) with the callgrind instruction counts of
the same scenarios, prints the table and writes it as CSV.

Callgrind: every bench program run with --iters N under `valgrind --tool=callgrind` leaves one dump
per measured loop, named by the client request "program/scenario/kind/N" (kind: op or floor), and
appends its own rows (ops = operations in the loop, in the row's unit) to a second CSV. The
instructions per operation are the dump's total divided by those ops."""
import argparse
import csv
import glob
import os
import sys


def read_rows(path):
    if not path or not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def read_dumps(directory):
    """{(program, scenario, kind): instructions} from callgrind dumps."""
    found = {}
    for name in glob.glob(os.path.join(directory, "callgrind.out.*")):
        desc = total = None
        with open(name, errors="replace") as f:
            for line in f:
                if line.startswith("desc: Trigger: Client Request: "):
                    desc = line.split(": ", 3)[3].strip()
                elif line.startswith("totals:") or line.startswith("summary:"):
                    total = int(line.split()[1])
        if desc is None or total is None:
            continue
        program, rest = desc.split("/", 1)
        scenario, kind, _iters = rest.rsplit("/", 2)
        found[(program, scenario, kind)] = total
    return found


def fmt(value, digits=2):
    if value in (None, ""):
        return "-"
    v = float(value)
    if v >= 1000:
        return "%.0f" % v
    return ("%%.%df" % digits) % v


def section(row):
    if row["program"] == "bench_crypto":
        return "1. cryptographic primitives (op = crypto.h wrapper, floor = raw library call)"
    if row["path"] == "pcsc":
        return "4. through pcscd + vpcd"
    if row["path"] == "inproc-file":
        return "3. in process, cards in SQLite files (tmpfs)"
    return "2. in process (memory stores)"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--results", required=True, help="rows of the timed runs")
    ap.add_argument("--callgrind-rows", help="rows of the callgrind runs")
    ap.add_argument("--callgrind-dir", help="directory of the callgrind dumps")
    ap.add_argument("--callgrind-csv", help="write the instruction counts here")
    ap.add_argument("--summary", help="write the joined table here")
    args = ap.parse_args()

    rows = read_rows(args.results)
    if not rows:
        sys.exit("report.py: no results in %s" % args.results)
    ir = {}
    if args.callgrind_dir and os.path.isdir(args.callgrind_dir):
        dumps = read_dumps(args.callgrind_dir)
        for r in read_rows(args.callgrind_rows):
            ops = float(r["ops"])
            key = (r["program"], r["scenario"])
            op = dumps.get((r["program"], r["scenario"], "op"))
            fl = dumps.get((r["program"], r["scenario"], "floor"))
            if op is None or ops <= 0:
                continue
            ir[key] = (op / ops, fl / ops if fl is not None else None)
        if args.callgrind_csv:
            with open(args.callgrind_csv, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["program", "scenario", "ir_per_op", "ir_floor", "ir_ratio"])
                for (program, scenario), (op, fl) in sorted(ir.items()):
                    w.writerow([program, scenario, "%.0f" % op, "%.0f" % fl if fl else "",
                                "%.2f" % (op / fl) if fl else ""])

    header = ["scenario", "path", "unit", "median_us", "per_s", "floor_us", "ratio", "ir_per_op",
              "ir_ratio", "target", "verdict"]
    table = []
    for r in rows:
        op_ir, fl_ir = ir.get((r["program"], r["scenario"]), (None, None)) if r["path"] in ("inproc", "card") \
            else (None, None)
        table.append({
            "section": section(r), "scenario": r["scenario"], "path": r["path"], "unit": r["unit"],
            "median_us": r["median_us"], "per_s": r["per_s"], "floor_us": r["floor_us"], "ratio": r["ratio"],
            "ir_per_op": "%.0f" % op_ir if op_ir else "",
            "ir_ratio": "%.2f" % (op_ir / fl_ir) if op_ir and fl_ir else "",
            "target": r["target"], "verdict": r["verdict"], "note": r.get("note", ""),
        })
    table.sort(key=lambda t: t["section"])
    width = max(len(t["scenario"]) for t in table)
    line = "%-*s %-11s %6s %10s %11s %10s %7s %11s %7s  %-12s %s"
    current = None
    for t in table:
        if t["section"] != current:
            current = t["section"]
            print("\n== %s" % current)
            print(line % (width, "scenario", "path", "unit", "median us", "per s", "floor us", "ratio",
                          "Ir/op", "Ir rat", "target", "verdict"))
        print(line % (width, t["scenario"], t["path"], t["unit"], fmt(t["median_us"]), fmt(t["per_s"], 0),
                      fmt(t["floor_us"]), fmt(t["ratio"]), t["ir_per_op"] or "-", t["ir_ratio"] or "-",
                      t["target"], t["verdict"]))
    misses = [t for t in table if t["verdict"] == "MISS"]
    print("\n%d rows, %d targets met, %d missed%s" % (
        len(table), sum(1 for t in table if t["verdict"] == "pass"), len(misses),
        "".join("\n  MISS: %s (%s)" % (t["scenario"], t["path"]) for t in misses)))
    if args.summary:
        with open(args.summary, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header + ["note"])
            for t in table:
                w.writerow([t[h] for h in header] + [t["note"]])


if __name__ == "__main__":
    main()
