#!/usr/bin/env python3
"""VisiData on the same customers as konto, timed as an operator sees it.

    pip install visidata        # the one thing to install (tmux comes from apt)
    konto gen --count 1000000 --seed 1 --data-dir /tmp/konto-1m
    konto export --format csv --out /tmp/customers-1m.csv --data-dir /tmp/konto-1m
    python3 benches/visidata.py /tmp/customers-1m.csv [--query berlin]
        [--column billing.address.city] [--runs 1] [--no-batch] [--no-interactive]

Interactive (what the operator sees): VisiData runs in tmux (100x30, a
private tmux server) and the screen is captured every ~10 ms. Timed:
  * open: from starting `vd FILE` until the status line shows all N rows
    and no "loading…"/"processing…"/"%" (loaded and drawn);
  * `|` on one column (regex QUERY, VisiData's default flags: ignore case):
    from Enter until the status shows "•M" selected with M the number of
    rows whose value in that column matches QUERY (counted here with
    Python's re) and no progress indicator;
  * `g|` over all columns, the same with M over any column;
  * `"` (open the selection as a sheet) until that sheet shows "M rows".
VmHWM of the vd process (/proc/PID/status) is read after loading and at
the end. Granularity is the capture interval (~10-20 ms, as tmux answers).

Batch (`vd -b -p SCRIPT.vdj -o OUT.csv`): wall time of a replay that
opens the file and saves an empty selection, and of one that also selects
by regex (on the column, then over all columns) and saves the selection;
the difference is the filter. Each saved file's row count is checked.

Only the standard library, tmux and vd are needed. VisiData runs with
-N (no .visidatarc, no plugins) and HOME set to a temp dir.
"""

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

SOCKET = f"vdbench-{os.getpid()}"
csv.field_size_limit(1 << 30)


def find_vd():
    vd = os.environ.get("VD")
    if vd:
        return vd
    # A pyenv shim adds a bash start-up to every run; use the real script.
    if shutil.which("pyenv"):
        out = subprocess.run(["pyenv", "which", "vd"], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    vd = shutil.which("vd")
    if not vd:
        sys.exit("vd not found: pip install visidata (or set VD=/path/to/vd)")
    return vd


def expected_counts(path, query, column):
    """Rows, rows whose COLUMN matches, rows where any column matches."""
    rx = re.compile(query, re.IGNORECASE)
    rows = in_column = anywhere = 0
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        if column not in header:
            sys.exit(f"{path} has no column {column!r}; columns: {', '.join(header)}")
        at = header.index(column)
        for record in reader:
            rows += 1
            if rx.search(record[at]):
                in_column += 1
            if any(rx.search(v) for v in record):
                anywhere += 1
    return rows, in_column, anywhere


def vm(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) // 1024  # MiB
    except OSError:
        return None
    return None


class Tmux:
    def __init__(self, cols, rows, timeout):
        self.cols, self.rows, self.timeout = cols, rows, timeout

    def tmux(self, *args):
        return subprocess.run(
            ["tmux", "-L", SOCKET, *args], capture_output=True, text=True
        )

    def start(self, command):
        out = self.tmux(
            "new-session", "-d", "-s", "vd", "-x", str(self.cols), "-y", str(self.rows), command
        )
        if out.returncode != 0:
            sys.exit(f"tmux new-session failed: {out.stderr}")
        return int(self.tmux("display-message", "-p", "-t", "vd", "#{pane_pid}").stdout)

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "vd").stdout

    def status(self):
        lines = [l for l in self.screen().splitlines() if l.strip()]
        return lines[-1] if lines else ""

    def keys(self, text):
        self.tmux("send-keys", "-t", "vd", "-l", text)

    def enter(self):
        self.tmux("send-keys", "-t", "vd", "Enter")

    def wait(self, what, check, since):
        """Polls the status line until check(status) holds; seconds since `since`."""
        deadline = since + self.timeout
        while True:
            line = self.status()
            now = time.monotonic()
            if check(line):
                return now - since
            if now > deadline:
                sys.exit(f"timed out waiting for {what}; screen:\n{self.screen()}")
            time.sleep(0.01)

    def stop(self):
        self.tmux("kill-server")


def counts(line):
    rows = re.search(r"(\d+) rows", line)
    sel = re.search(r"•(\d+)", line)
    busy = any(w in line for w in ("loading", "processing", "%"))
    return (int(rows.group(1)) if rows else None, int(sel.group(1)) if sel else 0, busy)


def interactive(vd, path, args, n, m_col, m_all, home):
    t = Tmux(args.cols, args.rows, args.timeout)
    results = {}
    try:
        since = time.monotonic()
        pid = t.start(f"exec env HOME={home} {vd} -N {path}")
        results["open: start → all rows loaded and drawn"] = t.wait(
            f"{n} rows loaded", lambda l: counts(l) == (n, 0, False), since
        )
        results["VmHWM after loading (MiB)"] = vm(pid, "VmHWM")

        def select(keys, m, label):
            t.keys(keys)
            t.wait("the regex prompt", lambda l: "regex" in l, time.monotonic())
            t.keys(args.query)
            since = time.monotonic()
            t.enter()
            results[f"{label}: Enter → •{m} selected"] = t.wait(
                f"•{m}", lambda l: counts(l) == (n, m, False), since
            )
            since = time.monotonic()
            t.keys('"')
            results[f'{label}: `"` → sheet of {m} rows'] = t.wait(
                f"{m} rows", lambda l: "_selected" in l and counts(l)[0] == m and not counts(l)[2],
                since,
            )
            # Back to the whole sheet, nothing selected.
            t.keys("q")
            t.wait(
                "the first sheet",
                lambda l: "_selected" not in l and counts(l)[0] == n,
                time.monotonic(),
            )
            t.keys("gu")
            t.wait("nothing selected", lambda l: counts(l) == (n, 0, False), time.monotonic())

        # Go to the column by name (c: go-col-regex).
        t.keys("c")
        t.wait("the column prompt", lambda l: "regex" in l, time.monotonic())
        t.keys("^" + re.escape(args.column) + "$")
        t.enter()
        deadline = time.monotonic() + args.timeout
        while not any(args.column[:12] in line for line in t.screen().splitlines()[:2]):
            if time.monotonic() > deadline:
                sys.exit(f"did not reach column {args.column}; screen:\n{t.screen()}")
            time.sleep(0.05)
        select("|", m_col, f"`|` on {args.column}")
        select("g|", m_all, "`g|` over all columns")
        results["VmHWM at the end (MiB)"] = vm(pid, "VmHWM")
    finally:
        t.stop()
    return results


def batch(vd, path, args, m_col, m_all, home, work):
    sheet = os.path.splitext(os.path.basename(path))[0]

    def step(longname, col="", text="", keys=""):
        return {"sheet": sheet if longname != "open-file" else "", "col": col, "row": "",
                "longname": longname, "input": text, "keystrokes": keys}

    open_file = step("open-file", text=path, keys="o")
    dup = step("dup-selected", keys='"')
    scripts = {
        "open, save empty selection": ([open_file, dup], 0),
        f"open, `|` on {args.column}, save selection": (
            [open_file, step("select-col-regex", args.column, args.query, "|"), dup], m_col),
        "open, `g|` over all columns, save selection": (
            [open_file, step("select-cols-regex", "", args.query, "g|"), dup], m_all),
    }
    results = {}
    for name, (steps, m) in scripts.items():
        vdj = os.path.join(work, "script.vdj")
        out = os.path.join(work, "out.csv")
        with open(vdj, "w") as f:
            f.write("".join(json.dumps(s) + "\n" for s in steps))
        if os.path.exists(out):
            os.remove(out)
        env = dict(os.environ, HOME=home)
        since = time.monotonic()
        p = subprocess.Popen([vd, "-N", "-b", "-p", vdj, "-o", out], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(p.pid, 0)
        took = time.monotonic() - since
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            sys.exit(f"vd -b failed ({name}): {p.stderr.read().decode()}")
        saved = 0
        if os.path.exists(out):
            with open(out, newline="", encoding="utf-8") as f:
                saved = max(sum(1 for _ in csv.reader(f)) - 1, 0)
        if saved != m:
            sys.exit(f"batch {name}: saved {saved} rows, expected {m}")
        results[f"batch: {name} ({m} rows)"] = took
        results[f"batch VmHWM: {name} (MiB)"] = usage.ru_maxrss // 1024
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv")
    ap.add_argument("--query", default="berlin")
    ap.add_argument("--column", default="billing.address.city")
    ap.add_argument("--runs", type=int, default=1, help="interactive runs")
    ap.add_argument("--cols", type=int, default=100)
    ap.add_argument("--rows", type=int, default=30)
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per awaited screen")
    ap.add_argument("--no-batch", action="store_true")
    ap.add_argument("--no-interactive", action="store_true")
    args = ap.parse_args()
    if not shutil.which("tmux") and not args.no_interactive:
        sys.exit("tmux is needed for the interactive measurement (apt-get install tmux)")
    path = os.path.abspath(args.csv)
    vd = find_vd()
    version = subprocess.run([vd, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"counting {path} …", file=sys.stderr)
    n, m_col, m_all = expected_counts(path, args.query, args.column)
    size = os.path.getsize(path)
    with tempfile.TemporaryDirectory() as work:
        home = os.path.join(work, "home")
        os.mkdir(home)
        rows = []
        if not args.no_interactive:
            for i in range(args.runs):
                print(f"interactive run {i + 1} …", file=sys.stderr)
                rows.append(interactive(vd, path, args, n, m_col, m_all, home))
        if not args.no_batch:
            print("batch …", file=sys.stderr)
            rows.append(batch(vd, path, args, m_col, m_all, home, work))
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print()
    print(f"VisiData ({version}) on {path}: {n} rows, {size} bytes; "
          f"query {args.query!r}: {m_col} rows in {args.column}, {m_all} in any column")
    print(f"machine: {os.cpu_count()} cores, load average after {load}; "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(f"args: {' '.join(sys.argv[1:])}")
    print()
    print("| what | value |")
    print("|---|---|")
    for r in rows:
        for k, v in r.items():
            value = f"{v:.2f} s" if isinstance(v, float) else f"{v}"
            print(f"| {k} | {value} |")


if __name__ == "__main__":
    main()
