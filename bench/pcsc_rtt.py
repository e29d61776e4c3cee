#!/usr/bin/python3
"""Round-trip time of one short APDU through pcscd + vpcd, from pyscard (Debian's
python3-pyscard; run with /usr/bin/python3). Same figures and CSV columns as bench_pcsc_rtt."""
import argparse
import datetime
import os
import sys
import time

from smartcard.System import readers


def percentile(sorted_samples, p):
    i = int(p * (len(sorted_samples) - 1) + 0.5)
    return sorted_samples[min(i, len(sorted_samples) - 1)]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-r", dest="reader", help="reader name, number or part of the name (default: 0)")
    ap.add_argument("-n", type=int, default=5000, help="measured exchanges (default 5000)")
    ap.add_argument("-w", type=int, default=200, help="warm-up exchanges (default 200)")
    ap.add_argument("--apdu", default="8002000808", help="command in hex (default 8002000808)")
    ap.add_argument("--csv", help="append one line of results to this file")
    ap.add_argument("--label", default="", help="free text for the CSV line")
    args = ap.parse_args()

    all_readers = readers()
    if not all_readers:
        sys.exit("pcsc_rtt.py: no PC/SC reader found")
    want = args.reader or "0"
    if want.isdigit():
        reader = all_readers[int(want)]
    else:
        matches = [r for r in all_readers if want.lower() in str(r).lower()]
        if len(matches) != 1:
            sys.exit("pcsc_rtt.py: reader %r matches %d readers" % (want, len(matches)))
        reader = matches[0]
    conn = reader.createConnection()
    conn.connect()
    cmd = list(bytes.fromhex(args.apdu))
    samples = []
    for i in range(args.w + args.n):
        if i == args.w:
            start = time.perf_counter()
        t0 = time.perf_counter_ns()
        _, sw1, sw2 = conn.transmit(cmd)
        t1 = time.perf_counter_ns()
        if (sw1, sw2) != (0x90, 0x00):
            sys.exit("pcsc_rtt.py: exchange %d answered %02X%02X" % (i, sw1, sw2))
        if i >= args.w:
            samples.append((t1 - t0) / 1000.0)
    per_s = args.n / (time.perf_counter() - start)
    samples.sort()
    figures = [percentile(samples, p) for p in (0, 0.5, 0.9, 0.99, 1)]
    print("reader   %s\napdu     %s (%d exchanges, %d warm-up)" % (reader, args.apdu, args.n, args.w))
    print("%10s %10s %10s %10s %10s %12s" % ("min us", "median us", "p90 us", "p99 us", "max us", "APDU/s"))
    print("%10.1f %10.1f %10.1f %10.1f %10.1f %12.0f" % tuple(figures + [per_s]))
    if args.csv:
        new = not os.path.exists(args.csv) or os.path.getsize(args.csv) == 0
        with open(args.csv, "a") as f:
            if new:
                f.write("utc,client,label,apdu,n,min_us,median_us,p90_us,p99_us,max_us,apdu_per_s\n")
            stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            f.write("%s,python-pyscard,%s,%s,%d,%s,%.0f\n"
                    % (stamp, args.label, args.apdu, args.n, ",".join("%.1f" % x for x in figures), per_s))
    conn.disconnect()


if __name__ == "__main__":
    main()
