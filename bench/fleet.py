"""The fleet benchmark (BENCHMARKS.md, "A fleet at scale"): a world of 10,000
suppliers under realistic latency, names resolved through dnsmasq, the
polite defaults for supplier sites, crawled by ecoscout on sled in one
process, on PostgreSQL with one worker and with two, at several numbers of
sites in flight, and by Scrapy at the same politeness. Standard library
only; bench/run.sh --only fleet installs what it needs and builds first.

    python bench/fleet.py [--suppliers 10000] [--in-flight 256,1000,4000]
                          [--modes sled,pg1,pg2,scrapy]

Starts a throwaway PostgreSQL (initdb/pg_ctl, loopback only) for each
PostgreSQL crawl and a dnsmasq answering every `*.test` name with
127.0.0.1, like scripts/test. Writes
bench/results/<date>-fleet.json and .md and prints the table.
"""

import argparse
import datetime
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the shared helpers: Sim, timed, log, run)

LATENCY = "lognormal:median=200ms,p99=2s"
SEED = 11
# The polite defaults for supplier sites: 1 s between requests to a host,
# 2 at a time (ecoscout's defaults, passed explicitly to both crawlers).
DELAY_S = 1
PER_HOST = 2
# The authorities' terms, as a buyer with an agreement would have them in
# its trust list: 100 requests a second and 32 in flight per authority host
# (32 in flight at the sim's mean answer time of about 0.33 s is about
# 100 a second). The sim's own trust list gives 250 and 8.
AUTHORITY_RPS = 100
AUTHORITY_IN_FLIGHT = 32
# Scrapy is stopped after this long (it reports what it fetched by then).
SCRAPY_CAP_S = 900


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def which(name, extra=()):
    for path in [shutil.which(name)] + [os.path.join(d, name) for d in extra]:
        if path and os.access(path, os.X_OK):
            return path
    raise RuntimeError(f"{name} not found (bench/run.sh --only fleet installs it)")


class Postgres:
    """A throwaway PostgreSQL cluster in a temporary folder, on loopback, one
    per crawl (so no client program is needed: the crawl's own database is
    the cluster's `postgres`, and its size is the data folder's growth)."""

    def __init__(self, name):
        initdb = which("initdb", ["/usr/local/bin"] + sorted(
            os.path.join("/usr/lib/postgresql", v, "bin")
            for v in (os.listdir("/usr/lib/postgresql") if os.path.isdir("/usr/lib/postgresql") else [])
        ))
        self.bin = os.path.dirname(initdb)
        # A folder of its own under the system's temporary folder: the
        # server runs as `postgres`, which cannot enter the bench's folder.
        self.dir = tempfile.mkdtemp(prefix=f"ecoscout-pg-{name}-")
        self.as_pg = []
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres")
            self.as_pg = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        bench.run(self.as_pg + [initdb, "-D", f"{self.dir}/data", "-U", "postgres", "-A", "trust",
                                "-E", "UTF8", "--locale=C", "--no-sync"])
        # Durable settings (fsync on), as a platform would run it.
        bench.run(self.as_pg + [f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-l",
                                f"{self.dir}/server.log", "-w", "-t", "60", "-o",
                                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} "
                                "-c max_connections=100", "start"])
        self.initial_bytes = bench.dir_bytes(f"{self.dir}/data")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def grown_bytes(self):
        """What the crawl added to the data folder (tables, indexes, WAL)."""
        return bench.dir_bytes(f"{self.dir}/data") - self.initial_bytes

    def stop(self):
        subprocess.run(self.as_pg + [f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-m", "fast",
                                     "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def net_flags(dns, in_flight):
    return ["--dns-server", dns.address, "--private-names", "*.test",
            "--concurrency", str(in_flight)]


def limit_flags():
    """The run's politeness, and the same page caps as Scrapy's."""
    return ["--delay", f"{DELAY_S}s", "--per-host-concurrency", str(PER_HOST),
            "--max-pages", str(bench.MAX_PAGES), "--max-depth", str(bench.MAX_DEPTH)]


def timed_all(cmds, cwd=None):
    """Runs commands at once, each under /usr/bin/time -v; their figures."""
    results = [None] * len(cmds)
    errors = []

    def one(i, cmd):
        try:
            results[i] = bench.timed(cmd, cwd=cwd, sample=True)
        except Exception as e:  # reported after all have ended
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i, c)) for i, c in enumerate(cmds)]
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results, round(time.time() - started, 2)


def agree_terms(trust_path):
    """Sets every authority's terms in the world's trust list to the
    benchmark's agreement (AUTHORITY_RPS, AUTHORITY_IN_FLIGHT)."""
    import re
    with open(trust_path) as f:
        text = f.read()
    text = re.sub(r"(?m)^requests_per_second = .*$", f"requests_per_second = {AUTHORITY_RPS}", text)
    text = re.sub(r"(?m)^max_in_flight = .*$", f"max_in_flight = {AUTHORITY_IN_FLIGHT}", text)
    with open(trust_path, "w") as f:
        f.write(text)


def crawl(mode, in_flight, workdir, dns):
    """One crawl of a fresh world; pages are the requests the world served."""
    sim = bench.Sim(args.suppliers, workdir, latency=LATENCY, seed=SEED, log_requests=True)
    agree_terms(sim.trust)
    name = f"{mode}_{in_flight}"
    extra = {}
    try:
        if mode == "sled":
            db = os.path.join(workdir, f"{name}.db")
            cmd = [bench.BIN, "crawl", "-q", "--seeds", sim.seeds, "--trust", sim.trust,
                   "--db", db] + limit_flags() + net_flags(dns, in_flight)
            procs, wall = timed_all([cmd])
            extra["db_bytes"] = bench.dir_bytes(db)
            shutil.rmtree(db, ignore_errors=True)
        elif mode in ("pg1", "pg2"):
            pg = Postgres(name)
            try:
                workers = 1 if mode == "pg1" else 2
                enqueue = [bench.BIN, "crawl", "-q", "--seeds", sim.seeds, "--trust", sim.trust,
                           "--db", pg.url, "--enqueue-only"] + limit_flags()
                bench.run(enqueue)
                # The sites in flight are the fleet's: each worker takes its share.
                work = [[bench.BIN, "work", "-q", "--db", pg.url, "--name", f"w{i}"]
                        + net_flags(dns, in_flight // workers) for i in range(workers)]
                procs, wall = timed_all(work)
                extra["db_bytes"] = pg.grown_bytes()
            finally:
                pg.stop()
        else:
            feed = os.path.join(workdir, "scrapy-pages.jsonl")
            cmd = bench.scrapy_crawl(sim.seeds, feed, dns.address) + [
                "--download-delay", str(DELAY_S), "--per-host-concurrency", str(PER_HOST),
                "--concurrency", str(in_flight), "--close-after", str(SCRAPY_CAP_S),
            ]
            procs, wall = timed_all([cmd], cwd=bench.SPIDER_DIR)
            procs = [dict(p) for p in procs]
    finally:
        pages = sim.stop()
        authority = authority_requests(sim)
        pace = profile(sim)
    return {
        "mode": mode,
        "in_flight": in_flight,
        "pages": pages,
        "wall_s": wall,
        "pages_per_s": round(pages / max(wall, 0.01), 1),
        "suppliers_per_hour": round(args.suppliers / max(wall, 0.01) * 3600),
        "peak_rss_mb": [p["peak_rss_mb"] for p in procs],
        "cpu_s": [p["cpu_s"] for p in procs],
        "rss_samples_mb": [p["rss_samples_mb"] for p in procs],
        "authority_requests": authority,
        "pace": pace,
        **extra,
    }


def profile(sim):
    """The crawl's pace from the sim's request log: the seconds until 50%,
    90%, 99% and all of the pages had been answered, and the busiest and
    median rates over 10-second windows while at least half the peak rate
    was reached (the crawl's steady state, before its tail)."""
    starts = []
    try:
        with open(os.path.join(sim.dir, "requests.jsonl")) as f:
            for line in f:
                stamp = json.loads(line).get("start", "")
                starts.append(datetime.datetime.fromisoformat(stamp[:26].rstrip("Z")).timestamp())
    except (OSError, ValueError):
        return None
    if not starts:
        return None
    starts.sort()
    first = starts[0]
    at = lambda share: round(starts[min(len(starts) - 1, int(share * len(starts)))] - first, 1)
    windows = {}
    for t in starts:
        windows[int((t - first) // 10)] = windows.get(int((t - first) // 10), 0) + 1
    rates = sorted(n / 10 for n in windows.values())
    peak = rates[-1]
    steady = [r for r in rates if r >= peak / 2]
    return {
        "seconds_to_50_90_99_100_percent": [at(0.5), at(0.9), at(0.99), round(starts[-1] - first, 1)],
        "peak_pages_per_s_10s": peak,
        "steady_median_pages_per_s": steady[len(steady) // 2],
    }


def authority_requests(sim):
    """Requests the world's authority hosts (logs, status lists, single
    windows: the hosts the trust list gives terms to) answered, by host,
    from the sim's request log."""
    import tomllib
    from urllib.parse import urlsplit
    with open(sim.trust, "rb") as f:
        trust = tomllib.load(f)
    hosts = set()
    for authority in trust.get("authority", []):
        urls = [authority.get("log_url"), authority.get("single_window_url")]
        urls += authority.get("status_prefixes", [])
        hosts.update(urlsplit(u).hostname for u in urls if u)
    counts = {h: 0 for h in sorted(hosts)}
    try:
        with open(os.path.join(sim.dir, "requests.jsonl")) as f:
            for line in f:
                host = json.loads(line).get("host")
                if host in counts:
                    counts[host] += 1
    except OSError:
        return None
    return counts


def table(rows):
    lines = [
        "| crawler | sites in flight | pages | wall, s | pages per second | steady pages per second | s to 50 / 90 / 99 / 100% of pages | suppliers per hour | peak RSS per process, MB | CPU s per process |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    names = {"sled": "ecoscout, sled, 1 process", "pg1": "ecoscout, PostgreSQL, 1 worker",
             "pg2": "ecoscout, PostgreSQL, 2 workers", "scrapy": "Scrapy"}
    for r in rows:
        lines.append(
            f"| {names[r['mode']]} | {r['in_flight']} | {r['pages']} | {r['wall_s']} | "
            f"{r['pages_per_s']} | {(r['pace'] or {}).get('steady_median_pages_per_s', '')} | "
            f"{' / '.join(str(x) for x in (r['pace'] or {}).get('seconds_to_50_90_99_100_percent', []))} | "
            f"{r['suppliers_per_hour']} | "
            f"{' / '.join(str(x) for x in r['peak_rss_mb'])} | {' / '.join(str(x) for x in r['cpu_s'])} |"
        )
    return "\n".join(lines)


def main():
    global args
    parser = argparse.ArgumentParser(description="ecoscout fleet benchmark")
    parser.add_argument("--suppliers", type=int, default=10000)
    parser.add_argument("--in-flight", default="256,1000,4000")
    parser.add_argument("--modes", default="sled,pg1,pg2,scrapy")
    parser.add_argument("--tag", default="", help="added to the result files' names")
    args = parser.parse_args()
    levels = [int(x) for x in args.in_flight.split(",")]
    modes = args.modes.split(",")
    started = time.time()
    rows = []
    with tempfile.TemporaryDirectory(prefix="ecoscout-fleet-") as workdir:
        dns = bench.Dns(workdir)
        try:
            for in_flight in levels:
                for mode in modes:
                    bench.log(f"fleet: {mode}, {in_flight} sites in flight, {args.suppliers} suppliers")
                    r = crawl(mode, in_flight, workdir, dns)
                    bench.log(f"  {r['pages']} pages in {r['wall_s']} s ({r['pages_per_s']}/s), "
                              f"peak RSS {r['peak_rss_mb']} MB, pace {r['pace']}")
                    rows.append(r)
                    save(rows, started, partial=True)
        finally:
            dns.stop()
    save(rows, started, partial=False)


def save(rows, started, partial):
    """Writes the figures so far (after each crawl, so a stopped run keeps
    what it measured) and, at the end, prints the table."""
    result = {
        "date": datetime.date.today().isoformat(),
        "complete": not partial,
        "machine": bench.machine(),
        "suppliers": args.suppliers,
        "seed": SEED,
        "latency": LATENCY,
        "politeness": {"delay_s": DELAY_S, "per_host_concurrency": PER_HOST},
        "authority_terms": {"requests_per_second": AUTHORITY_RPS, "max_in_flight": AUTHORITY_IN_FLIGHT},
        "scrapy_cap_s": SCRAPY_CAP_S,
        "runs": rows,
        "seconds": round(time.time() - started),
    }
    out_dir = os.path.join(bench.ROOT, "bench", "results")
    os.makedirs(out_dir, exist_ok=True)
    stem = result["date"] + "-fleet" + ("" if args.suppliers == 10000 else f"-{args.suppliers}")
    stem += f"-{args.tag}" if args.tag else ""
    with open(os.path.join(out_dir, stem + ".json"), "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    text = table(rows)
    with open(os.path.join(out_dir, stem + ".md"), "w") as f:
        f.write(text + "\n")
    if not partial:
        print(text)
        bench.log(f"done in {result['seconds']} s: bench/results/{stem}.json")


if __name__ == "__main__":
    main()
