"""The benchmark driver behind bench/run.sh (which installs what it needs and
builds the release binaries first). Standard library only.

    python bench/bench.py [--quick] [--only documents|tradetrust]

Runs, on one machine and in one go:
  1. crawl throughput, ecoscout against Scrapy, on a simulated world;
  2. the most requests per second the same world's pages are served at (wrk);
  3. verification throughput (criterion) against `openssl speed ed25519`;
  4. scale: ecoscout's peak RSS and pages per second as the world grows, and
     `export` of a large store to CSV.
Writes bench/results/<date>[-quick].json and .md, and prints the table.

Both crawlers reach the simulated world's `*.test` names through a real DNS
server: a dnsmasq on a free loopback port, started here (Debian's
dnsmasq-base; bench/run.sh installs it), answering every `*.test` name with
127.0.0.1.
"""

import argparse
import datetime
import glob
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.path.abspath(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release", "ecoscout")
FILL = os.path.join(TARGET, "release", "examples", "fill")
SPIDER_DIR = os.path.join(ROOT, "bench", "scrapy")
SEED = 7
# Caps shared by both crawlers.
MAX_PAGES = 30
MAX_DEPTH = 4
PER_HOST = 4
GLOBAL = 256
# Profiles left out: the slow endpoints measure a sleep, not a crawler.
WITHOUT = "endpoint_slow"
# Longest any one step may take before the run is called failed.
STEP_TIMEOUT = 1800
# The TTL of dnsmasq's answers, in seconds. Real names are cached for
# minutes; dnsmasq's default for the names it answers itself is 0, which
# would make every new connection ask again.
DNS_TTL = 300

FULL = {
    "suppliers": 2000,
    "pairs": 3,
    "wrk_seconds": 10,
    "scale": [1000, 10000, 50000],
    "export": 100000,
    "criterion": [],
    "openssl_seconds": 3,
}
QUICK = {
    "suppliers": 500,
    "pairs": 1,
    "wrk_seconds": 5,
    "scale": [1000, 5000],
    "export": 10000,
    "criterion": ["--warm-up-time", "1", "--measurement-time", "3"],
    "openssl_seconds": 1,
}


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(cmd, **kwargs):
    """Runs a command to completion; its output, or an error naming it."""
    result = subprocess.run(
        cmd, capture_output=True, text=True, timeout=STEP_TIMEOUT, **kwargs
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} exited with {result.returncode}:\n{result.stderr[-2000:]}"
        )
    return result.stdout


class Dns:
    """dnsmasq on a free loopback port, answering every `*.test` name with
    127.0.0.1 and nothing else (no upstream servers, no hosts file), as
    scripts/test starts it; `address` is its `IP:PORT`."""

    def __init__(self, workdir):
        binary = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
        self.pid_file = os.path.join(workdir, "dnsmasq.pid")
        error = ""
        # dnsmasq returns once it listens, or fails at once when the port
        # is taken.
        for port in range(25353, 25453):
            try:
                result = subprocess.run(
                    [binary, "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--no-poll",
                     "--bind-interfaces", "--listen-address=127.0.0.1", f"--port={port}",
                     "--local=/test/", "--address=/test/127.0.0.1", f"--local-ttl={DNS_TTL}",
                     f"--pid-file={self.pid_file}",
                     f"--log-facility={os.path.join(workdir, 'dnsmasq.log')}"],
                    capture_output=True, text=True, timeout=60,
                )
            except FileNotFoundError:
                raise RuntimeError(f"no dnsmasq at {binary}: run bench/run.sh, which installs it")
            if result.returncode == 0:
                self.address = f"127.0.0.1:{port}"
                return
            error = result.stderr
        raise RuntimeError(f"dnsmasq did not start on any port in 25353-25452: {error}")

    def stop(self):
        try:
            with open(self.pid_file) as f:
                os.kill(int(f.read().strip()), signal.SIGTERM)
        except (OSError, ValueError):
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Sim:
    """An `ecoscout sim` world in its own process, on a free port."""

    def __init__(self, suppliers, workdir, prerender=False, log_requests=False,
                 latency=None, seed=SEED):
        self.dir = os.path.join(workdir, f"world-{suppliers}")
        extra = ["--prerender-documents"] if prerender else []
        if log_requests:
            extra.append("--log-requests")
        if latency:
            extra += ["--latency", latency]
        self.proc = subprocess.Popen(
            [BIN, "sim", "--suppliers", str(suppliers), "--seed", str(seed),
             "--out", self.dir, "--without", WITHOUT] + extra,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        deadline = time.time() + 300
        self.port = None
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = re.match(r"serving \d+ suppliers on http://127\.0\.0\.1:(\d+)/", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            self.proc.kill()
            raise RuntimeError("the sim did not start")
        self.seeds = os.path.join(self.dir, "seeds.csv")
        self.trust = os.path.join(self.dir, "trust.toml")

    def stop(self):
        """Stops the world; the number of requests it served."""
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=60)
        m = re.search(r"stopped after serving (\d+) requests", out)
        if not m:
            raise RuntimeError(f"the sim did not report its count: {out!r}")
        return int(m.group(1))


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def timed(cmd, cwd=None, sample=False):
    """Runs `cmd` under /usr/bin/time -v: wall and CPU seconds, peak RSS,
    and (with `sample`) the RSS every second."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        proc = subprocess.Popen(
            ["/usr/bin/time", "-v", "-o", t.name] + cmd,
            cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        samples = []
        if sample:
            def poll():
                child = None
                while proc.poll() is None:
                    if child is None:
                        try:
                            with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
                                kids = f.read().split()
                            child = int(kids[0]) if kids else None
                        except OSError:
                            pass
                    if child is not None:
                        kb = rss_kb(child)
                        if kb:
                            samples.append(round(kb / 1024, 1))
                    time.sleep(1)
            threading.Thread(target=poll, daemon=True).start()
        _, err = proc.communicate(timeout=STEP_TIMEOUT)
        text = t.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}:\n{err[-2000:]}")

    def field(name):
        m = re.search(rf"{re.escape(name)}: (.+)", text)
        if not m:
            raise RuntimeError(f"/usr/bin/time gave no {name!r}")
        return m.group(1).strip()

    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    parts = [float(p) for p in wall.split(":")]
    seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    return {
        "wall_s": round(seconds, 2),
        "cpu_s": round(float(field("User time (seconds)")) + float(field("System time (seconds)")), 2),
        "peak_rss_mb": round(int(field("Maximum resident set size (kbytes)")) / 1024, 1),
        "rss_samples_mb": samples,
    }


def ecoscout_crawl(seeds, trust, db, dns, binary=BIN, max_documents=None):
    cmd = [binary, "crawl", "-q", "--seeds", seeds, "--trust", trust, "--db", db,
           "--dns-server", dns, "--private-names", "*.test", "--delay", "0",
           "--concurrency", str(GLOBAL), "--per-host-concurrency", str(PER_HOST),
           "--max-pages", str(MAX_PAGES), "--max-depth", str(MAX_DEPTH)]
    if max_documents is not None:
        cmd += ["--max-documents", str(max_documents)]
    return cmd


def scrapy_crawl(seeds, feed, dns, python=sys.executable, script="supplier_spider.py"):
    return [python, script, "--seeds", seeds, "--out", feed, "--dns-server", dns,
            "--max-pages", str(MAX_PAGES), "--max-depth", str(MAX_DEPTH),
            "--concurrency", str(GLOBAL), "--per-host-concurrency", str(PER_HOST)]


def crawl_once(tool, suppliers, workdir, dns, sample=False, keep_db=None):
    """One crawl of a fresh world; pages are the requests the world served."""
    sim = Sim(suppliers, workdir)
    try:
        if tool == "ecoscout":
            db = keep_db or os.path.join(workdir, "crawl.db")
            shutil.rmtree(db, ignore_errors=True)
            result = timed(ecoscout_crawl(sim.seeds, sim.trust, db, dns), sample=sample)
            if not keep_db:
                shutil.rmtree(db, ignore_errors=True)
        else:
            feed = os.path.join(workdir, "scrapy-pages.jsonl")
            stats = os.path.join(workdir, "scrapy-stats.json")
            result = timed(
                scrapy_crawl(sim.seeds, feed, dns) + ["--stats", stats], cwd=SPIDER_DIR, sample=sample
            )
            with open(stats) as f:
                s = json.load(f)
            result["items"] = s.get("item_scraped_count", 0)
    finally:
        pages = sim.stop()
    result["pages"] = pages
    result["pages_per_s"] = round(pages / max(result["wall_s"], 0.01), 1)
    result["cpu_s_per_1000_pages"] = round(result["cpu_s"] / max(pages, 1) * 1000, 3)
    return result


def documents_cost(cfg, workdir, dns):
    """The same world crawled with certificate documents read (the default,
    --max-documents 20) and not read (--max-documents 0), alternating:
    suppliers per second, since documents add requests."""
    settings = {"on": None, "off": 0}
    runs = {"on": [], "off": []}
    for i in range(cfg["pairs"]):
        order = ["on", "off"] if i % 2 == 0 else ["off", "on"]
        for mode in order:
            log(f"documents {mode} {i + 1}/{cfg['pairs']}: {cfg['suppliers']} suppliers")
            # Documents drawn before the crawl, so that the sim's drawing
            # is not counted as the crawler's time.
            sim = Sim(cfg["suppliers"], workdir, prerender=True)
            db = os.path.join(workdir, "documents.db")
            shutil.rmtree(db, ignore_errors=True)
            try:
                r = timed(ecoscout_crawl(sim.seeds, sim.trust, db, dns, max_documents=settings[mode]))
            finally:
                r_requests = sim.stop()
            shutil.rmtree(db, ignore_errors=True)
            r["requests"] = r_requests
            r["suppliers_per_s"] = round(cfg["suppliers"] / max(r["wall_s"], 0.01), 1)
            log(f"  {r['suppliers_per_s']} suppliers/s, {r['requests']} requests, "
                f"peak RSS {r['peak_rss_mb']} MB")
            runs[mode].append(r)
    median = {
        mode: {k: median_of(rs, k) for k in ("wall_s", "suppliers_per_s", "requests", "cpu_s", "peak_rss_mb")}
        for mode, rs in runs.items()
    }
    cost = 1 - median["on"]["suppliers_per_s"] / median["off"]["suppliers_per_s"]
    return {
        "suppliers": cfg["suppliers"],
        "runs": runs,
        "median": median,
        "suppliers_per_s_cost": round(cost, 3),
        "peak_rss_added_mb": round(median["on"]["peak_rss_mb"] - median["off"]["peak_rss_mb"], 1),
    }


def documents_table(d):
    on, off = d["median"]["on"], d["median"]["off"]
    return "\n".join([
        f"Certificate documents, {d['suppliers']} suppliers (medians of {len(d['runs']['on'])} runs each)",
        "",
        "| | documents read (default) | not read (--max-documents 0) |",
        "|---|---:|---:|",
        f"| suppliers per second | {on['suppliers_per_s']} | {off['suppliers_per_s']} |",
        f"| wall time, s | {on['wall_s']} | {off['wall_s']} |",
        f"| requests served | {on['requests']:.0f} | {off['requests']:.0f} |",
        f"| CPU s | {on['cpu_s']} | {off['cpu_s']} |",
        f"| peak RSS, MB | {on['peak_rss_mb']} | {off['peak_rss_mb']} |",
        "",
        f"Cost of reading documents: {d['suppliers_per_s_cost'] * 100:.1f}% of suppliers per second "
        f"(goal: at most 30%), {d['peak_rss_added_mb']} MB of peak RSS.",
    ])


OA_FORMAT = "openattestation-v2"


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def tradetrust_rpc(cfg, workdir, dns):
    """One crawl of the world with the sim's request log on: the TradeTrust
    certificates judged, the JSON-RPC requests the buyer's node received
    (each call of a request named by the sim, batches counted call by
    call), and what the same certificates would cost without the run's
    cache (computed from eco/src/openattestation/chain.rs and each
    document's proof length in the truth)."""
    log(f"tradetrust: crawl of {cfg['suppliers']} suppliers with the request log on")
    sim = Sim(cfg["suppliers"], workdir, log_requests=True)
    db = os.path.join(workdir, "tradetrust.db")
    shutil.rmtree(db, ignore_errors=True)
    try:
        with open(sim.trust, encoding="utf-8") as f:
            m = re.search(r'^rpc_url\s*=\s*"https?://([^/:"]+)', f.read(), re.M)
        if not m:
            raise RuntimeError("trust.toml names no [[ethereum]] rpc_url")
        node = m.group(1)
        crawl = timed(ecoscout_crawl(sim.seeds, sim.trust, db, dns))
        export = os.path.join(workdir, "tradetrust.jsonl")
        run([BIN, "export", "--db", db, "--format", "jsonl", "-o", export])
    finally:
        served = sim.stop()
    records = read_jsonl(export)
    truth = read_jsonl(os.path.join(sim.dir, "truth.jsonl"))
    requests = read_jsonl(os.path.join(sim.dir, "requests.jsonl"))
    shutil.rmtree(db, ignore_errors=True)

    expected = {
        c["number"]: c for t in truth for c in t["certificates"] if c["format"] == OA_FORMAT
    }
    judged = [
        c for r in records for c in r.get("certificates", []) if c.get("format") == OA_FORMAT
    ]
    as_truth = sum(
        1 for c in judged
        if c.get("certificate_number") in expected
        and c["verdict"] == expected[c["certificate_number"]]["verdict"]
    )

    to_node = [r for r in requests if r["host"] == node]
    calls = {}
    for r in to_node:
        # A request the sim could not read as JSON names no call.
        for name in r.get("rpc") or ["(not JSON-RPC)"]:
            calls[name] = calls.get(name, 0) + 1
    n_calls = sum(calls.values())

    # Without the cache, from chain.rs: a document whose stores the trust
    # list pins (trusted_issuer passes; one issuer in every sim document)
    # is asked, in `anchored`, supportsInterface and isIssued(root), and in
    # `not_revoked`, supportsInterface and isRevoked of the target hash
    # and of every node the proof passes through, the root last
    # (`merkle_path`), stopping at the first revoked one: k = proof length
    # + 1, or 1 when the target hash itself is revoked. Each `ask` checks
    # eth_chainId first. So per document:
    #   each question once (a cache per document): 1 + 1 + 1 + k calls;
    #   no cache at all (chain.rs with its cells removed): 2 * (3 + k).
    per_doc = {"eth_chainId": 0, "eth_call supportsInterface(bytes4)": 0,
               "eth_call isIssued(bytes32)": 0, "eth_call isRevoked(bytes32)": 0}
    no_cache = dict(per_doc)
    asked = 0
    for c in judged:
        if c["checks"].get("trusted_issuer") != "pass":
            continue
        t = expected.get(c.get("certificate_number"))
        if t is None or t.get("proof_length") is None:
            raise RuntimeError(f"no proof length in the truth for {c.get('certificate_number')}")
        asked += 1
        k = 1 if t.get("revoked_hash") == "target_hash" else t["proof_length"] + 1
        for table, chain_ids, interface in ((per_doc, 1, 1), (no_cache, 3 + k, 2)):
            table["eth_chainId"] += chain_ids
            table["eth_call supportsInterface(bytes4)"] += interface
            table["eth_call isIssued(bytes32)"] += 1
            table["eth_call isRevoked(bytes32)"] += k
    proofs, revoked = {}, {}
    for c in judged:
        t = expected.get(c.get("certificate_number"))
        if t is not None and c["checks"].get("trusted_issuer") == "pass":
            proofs[t["proof_length"]] = proofs.get(t["proof_length"], 0) + 1
            if t.get("revoked_hash"):
                revoked[t["revoked_hash"]] = revoked.get(t["revoked_hash"], 0) + 1

    def per_cert(n, of=len(judged)):
        return round(n / max(of, 1), 2)

    return {
        "suppliers": cfg["suppliers"],
        "seed": SEED,
        "command": shlex.join(
            ecoscout_crawl("DIR/seeds.csv", "DIR/trust.toml", "DB", "127.0.0.1:PORT", binary="ecoscout")
        ),
        "sim": f"ecoscout sim --suppliers {cfg['suppliers']} --seed {SEED} --out DIR --without {WITHOUT} --log-requests",
        "wall_s": crawl["wall_s"],
        "requests_served": served,
        "node_host": node,
        "certificates_in_truth": len(expected),
        "certificates_judged": len(judged),
        "judged_as_truth_says": as_truth,
        "judged_chain_asked": asked,
        "proof_lengths": {str(k): v for k, v in sorted(proofs.items())},
        "revoked_hashes": dict(sorted(revoked.items())),
        "node_requests": len(to_node),
        "node_batch_requests": sum(1 for r in to_node if len(r.get("rpc") or []) > 1),
        "node_calls": n_calls,
        "node_calls_by_method": dict(sorted(calls.items())),
        "calls_per_certificate": per_cert(n_calls),
        "calls_per_certificate_asked": per_cert(n_calls, asked),
        "without_run_cache": {"calls": sum(per_doc.values()), "by_method": per_doc,
                              "per_certificate": per_cert(sum(per_doc.values())),
                              "per_certificate_asked": per_cert(sum(per_doc.values()), asked)},
        "without_any_cache": {"calls": sum(no_cache.values()), "by_method": no_cache,
                              "per_certificate": per_cert(sum(no_cache.values())),
                              "per_certificate_asked": per_cert(sum(no_cache.values()), asked)},
    }


def tradetrust_table(d):
    methods = list(d["without_run_cache"]["by_method"])
    methods += [m for m in d["node_calls_by_method"] if m not in methods]
    lines = [
        f"JSON-RPC requests to the buyer's node, crawl of {d['suppliers']} suppliers (seed {d['seed']})",
        "",
        f"TradeTrust certificates: {d['certificates_in_truth']} in the truth, "
        f"{d['certificates_judged']} judged ({d['judged_as_truth_says']} with the truth's verdict), "
        f"{d['judged_chain_asked']} with a pinned store (the chain asked). "
        f"Node: {d['node_requests']} HTTP requests, {d['node_batch_requests']} of them batches.",
        "",
        "| calls | this crawl (run cache) | each question once per certificate | no cache (chain.rs) |",
        "|---|---:|---:|---:|",
    ]
    for m in methods:
        lines.append(
            f"| {m} | {d['node_calls_by_method'].get(m, 0)} | "
            f"{d['without_run_cache']['by_method'].get(m, 0)} | {d['without_any_cache']['by_method'].get(m, 0)} |"
        )
    lines += [
        f"| all | {d['node_calls']} | {d['without_run_cache']['calls']} | {d['without_any_cache']['calls']} |",
        f"| per certificate judged | {d['calls_per_certificate']} | "
        f"{d['without_run_cache']['per_certificate']} | {d['without_any_cache']['per_certificate']} |",
        f"| per certificate with a pinned store | {d['calls_per_certificate_asked']} | "
        f"{d['without_run_cache']['per_certificate_asked']} | {d['without_any_cache']['per_certificate_asked']} |",
    ]
    return "\n".join(lines)


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def crawl_comparison(cfg, workdir, dns):
    runs = {"ecoscout": [], "scrapy": []}
    for i in range(cfg["pairs"]):
        order = ["ecoscout", "scrapy"] if i % 2 == 0 else ["scrapy", "ecoscout"]
        for tool in order:
            log(f"crawl {i + 1}/{cfg['pairs']}: {tool}, {cfg['suppliers']} suppliers")
            r = crawl_once(tool, cfg["suppliers"], workdir, dns)
            log(f"  {r['pages']} pages in {r['wall_s']} s, peak RSS {r['peak_rss_mb']} MB")
            runs[tool].append(r)
    out = {"suppliers": cfg["suppliers"], "runs": runs, "median": {}}
    for tool, rs in runs.items():
        out["median"][tool] = {
            k: median_of(rs, k)
            for k in ("pages", "wall_s", "pages_per_s", "cpu_s", "cpu_s_per_1000_pages", "peak_rss_mb")
        }
    e, s = out["median"]["ecoscout"], out["median"]["scrapy"]
    out["ratios"] = {
        "pages_per_s": round(e["pages_per_s"] / s["pages_per_s"], 2),
        "peak_rss": round(e["peak_rss_mb"] / s["peak_rss_mb"], 3),
        "cpu_s_per_1000_pages": round(e["cpu_s_per_1000_pages"] / s["cpu_s_per_1000_pages"], 3),
    }
    return out


WRK_SCRIPT = """
local requests = {}
local i = 0
function init(args)
  for line in io.lines(args[1]) do
    local host, path = line:match("^(%S+) (.+)$")
    if host then
      requests[#requests + 1] = wrk.format("GET", path, { Host = host })
    end
  end
  i = math.random(#requests)
end
function request()
  i = i % #requests + 1
  return requests[i]
end
"""


def served_limit(cfg, workdir):
    """wrk against the pages Scrapy fetched from the same world."""
    feed = os.path.join(workdir, "scrapy-pages.jsonl")
    targets = []
    with open(feed) as f:
        for line in f:
            page = json.loads(line)
            if page.get("status") != 200:
                continue
            m = re.match(r"https?://([^/:]+)(?::\d+)?(/.*)?$", page["url"])
            if m:
                targets.append(f"{m.group(1)} {m.group(2) or '/'}")
    paths = os.path.join(workdir, "wrk-targets.txt")
    script = os.path.join(workdir, "wrk.lua")
    with open(paths, "w") as f:
        f.write("\n".join(targets) + "\n")
    with open(script, "w") as f:
        f.write(WRK_SCRIPT)
    sim = Sim(cfg["suppliers"], workdir)
    try:
        cmd = ["wrk", "-t2", f"-c{GLOBAL}", f"-d{cfg['wrk_seconds']}s", "-s", script,
               f"http://127.0.0.1:{sim.port}/", "--", paths]
        out = run(cmd)
    finally:
        sim.stop()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "command": " ".join(cmd),
        "distinct_pages": len(targets),
        "requests_per_s": round(rps, 1),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def verification(cfg):
    log("verification: criterion bench of eco, and openssl speed")
    run(["cargo", "bench", "--locked", "-p", "eco", "--bench", "verify", "--",
         "--noplot"] + cfg["criterion"], cwd=ROOT)
    found = {}
    for path in glob.glob(os.path.join(TARGET, "criterion", "verification", "*", "new", "estimates.json")):
        name = os.path.basename(os.path.dirname(os.path.dirname(path)))
        with open(path) as f:
            ns = json.load(f)["median"]["point_estimate"]
        found[name] = ns
    credential = next(v for k, v in found.items() if k.startswith("credential"))
    raw = next(v for k, v in found.items() if k.startswith("Ed25519"))
    secs = str(cfg["openssl_seconds"])
    out = run(["openssl", "speed", "-seconds", secs, "ed25519"])
    m = re.search(r"Ed25519\)\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)\s+([\d.]+)", out)
    openssl_verify = float(m.group(2))
    per_s = 1e9 / credential
    return {
        "credential_us": round(credential / 1000, 1),
        "credentials_per_s": round(per_s),
        "dalek_verify_us": round(raw / 1000, 1),
        "dalek_verify_per_s": round(1e9 / raw),
        "openssl_verify_per_s": round(openssl_verify),
        "share_of_openssl": round(per_s / openssl_verify, 2),
        "commands": [
            "cargo bench -p eco --bench verify",
            f"openssl speed -seconds {secs} ed25519",
        ],
    }


def scale(cfg, workdir, dns):
    rows = []
    source_db = None
    for n in cfg["scale"]:
        log(f"scale: ecoscout, {n} suppliers")
        keep = os.path.join(workdir, f"scale-{n}.db")
        r = crawl_once("ecoscout", n, workdir, dns, sample=True, keep_db=keep)
        r["suppliers"] = n
        log(f"  {r['pages']} pages in {r['wall_s']} s, peak RSS {r['peak_rss_mb']} MB")
        rows.append(r)
        if source_db is None:
            source_db = keep
        else:
            shutil.rmtree(keep, ignore_errors=True)
    first, last = rows[0], rows[-1]
    return {
        "runs": rows,
        "rss_growth": round(last["peak_rss_mb"] / first["peak_rss_mb"], 2),
    }, source_db


def dir_bytes(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def export(cfg, workdir, source_db):
    n = cfg["export"]
    log(f"export: {n} stored suppliers to CSV")
    big = os.path.join(workdir, "export.db")
    run([FILL, source_db, big, str(n)])
    size = dir_bytes(big)
    out = os.path.join(workdir, "export.csv")
    r = timed([BIN, "export", "--db", big, "-o", out])
    with open(out, encoding="utf-8") as f:
        rows = sum(1 for _ in f) - 1
    shutil.rmtree(big, ignore_errors=True)
    return {
        "suppliers": n,
        "rows": rows,
        "seconds": r["wall_s"],
        "peak_rss_mb": r["peak_rss_mb"],
        "db_bytes": size,
        "db_bytes_per_supplier": size // n,
    }


def machine():
    def first(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "unknown"

    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    import scrapy

    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "cpu": model,
        "kernel": platform.release(),
        "rustc": first(["rustc", "-V"]),
        "python": platform.python_version(),
        "scrapy": scrapy.__version__,
        "wrk": first(["wrk", "-v"]),
        "openssl": first(["openssl", "version"]),
    }


def table(r):
    c, m = r["crawl"], r["crawl"]["median"]
    e, s = m["ecoscout"], m["scrapy"]
    lines = [
        f"Crawl of {c['suppliers']} suppliers (medians of {len(c['runs']['ecoscout'])} runs each)",
        "",
        "| | ecoscout | Scrapy | ratio |",
        "|---|---:|---:|---:|",
        f"| pages | {e['pages']:.0f} | {s['pages']:.0f} | |",
        f"| wall time, s | {e['wall_s']} | {s['wall_s']} | |",
        f"| pages per second | {e['pages_per_s']} | {s['pages_per_s']} | {c['ratios']['pages_per_s']}x |",
        f"| CPU s per 1,000 pages | {e['cpu_s_per_1000_pages']} | {s['cpu_s_per_1000_pages']} | {c['ratios']['cpu_s_per_1000_pages']} |",
        f"| peak RSS, MB | {e['peak_rss_mb']} | {s['peak_rss_mb']} | {c['ratios']['peak_rss']} |",
        "",
        "| limit and verification | |",
        "|---|---:|",
        f"| wrk, requests per second served ({r['limit']['distinct_pages']} pages) | {r['limit']['requests_per_s']} |",
        f"| ecoscout pages per second, share of that | {r['limit']['ecoscout_share']} |",
        f"| credentials verified per second, one core | {r['verification']['credentials_per_s']} |",
        f"| ed25519-dalek verify_strict per second | {r['verification']['dalek_verify_per_s']} |",
        f"| openssl speed ed25519, verify per second | {r['verification']['openssl_verify_per_s']} |",
        f"| credentials per second, share of openssl | {r['verification']['share_of_openssl']} |",
        "",
        "| suppliers | pages | wall, s | pages per second | peak RSS, MB |",
        "|---:|---:|---:|---:|---:|",
    ]
    for row in r["scale"]["runs"]:
        lines.append(
            f"| {row['suppliers']} | {row['pages']} | {row['wall_s']} | {row['pages_per_s']} | {row['peak_rss_mb']} |"
        )
    x = r["export"]
    lines += [
        "",
        f"Export of {x['suppliers']} stored suppliers to CSV: {x['seconds']} s; "
        f"database {x['db_bytes'] / 1e6:.0f} MB, {x['db_bytes_per_supplier']} bytes per supplier.",
        "",
        "| goal | target | measured | met |",
        "|---|---|---|---|",
    ]
    for g in r["goals"]:
        lines.append(f"| {g['goal']} | {g['target']} | {g['measured']} | {'yes' if g['met'] else 'no'} |")
    return "\n".join(lines)


def goals(r):
    c = r["crawl"]["ratios"]
    return [
        {"goal": "pages per second vs Scrapy", "target": ">= 5x",
         "measured": f"{c['pages_per_s']}x", "met": c["pages_per_s"] >= 5},
        {"goal": "peak RSS vs Scrapy", "target": "<= 1/3",
         "measured": f"{c['peak_rss']}", "met": c["peak_rss"] <= 1 / 3},
        {"goal": "share of the served limit", "target": ">= 0.5",
         "measured": f"{r['limit']['ecoscout_share']}", "met": r["limit"]["ecoscout_share"] >= 0.5},
        {"goal": "verification vs raw Ed25519 (openssl)", "target": ">= 0.5",
         "measured": f"{r['verification']['share_of_openssl']}",
         "met": r["verification"]["share_of_openssl"] >= 0.5},
        {"goal": "suppliers per second lost to reading documents", "target": "<= 30%",
         "measured": f"{r['documents']['suppliers_per_s_cost'] * 100:.1f}%",
         "met": r["documents"]["suppliers_per_s_cost"] <= 0.30},
        {"goal": f"peak RSS at {r['scale']['runs'][-1]['suppliers']} vs {r['scale']['runs'][0]['suppliers']} suppliers",
         "target": "<= 1.5x", "measured": f"{r['scale']['rss_growth']}x", "met": r["scale"]["rss_growth"] <= 1.5},
    ]


def main():
    parser = argparse.ArgumentParser(description="ecoscout benchmarks")
    parser.add_argument("--quick", action="store_true", help="smaller worlds, one pair of runs")
    parser.add_argument("--only", choices=["documents", "tradetrust"],
                        help="run one part: documents (read vs not read), or tradetrust "
                             "(JSON-RPC requests per TradeTrust certificate in a crawl)")
    args = parser.parse_args()
    cfg = QUICK if args.quick else FULL
    if args.only == "tradetrust":
        with tempfile.TemporaryDirectory(prefix="ecoscout-bench-") as workdir, Dns(workdir) as dns:
            d = tradetrust_rpc(cfg, workdir, dns.address)
        out_dir = os.path.join(ROOT, "bench", "results")
        os.makedirs(out_dir, exist_ok=True)
        stem = datetime.date.today().isoformat() + "-tradetrust" + ("-quick" if args.quick else "")
        with open(os.path.join(out_dir, stem + ".json"), "w") as f:
            json.dump(d, f, indent=1)
            f.write("\n")
        print(tradetrust_table(d))
        return
    if args.only == "documents":
        with tempfile.TemporaryDirectory(prefix="ecoscout-bench-") as workdir, Dns(workdir) as dns:
            d = documents_cost(cfg, workdir, dns.address)
        out_dir = os.path.join(ROOT, "bench", "results")
        os.makedirs(out_dir, exist_ok=True)
        stem = datetime.date.today().isoformat() + "-documents" + ("-quick" if args.quick else "")
        with open(os.path.join(out_dir, stem + ".json"), "w") as f:
            json.dump(d, f, indent=1)
            f.write("\n")
        print(documents_table(d))
        return
    started = time.time()
    result = {
        "date": datetime.date.today().isoformat(),
        "mode": "quick" if args.quick else "full",
        "machine": machine(),
        "settings": {
            "seed": SEED, "without": WITHOUT, "max_pages": MAX_PAGES, "max_depth": MAX_DEPTH,
            "per_host_concurrency": PER_HOST, "global_concurrency": GLOBAL, "delay": 0,
            "names": f"*.test through dnsmasq on loopback (answers' TTL {DNS_TTL} s)",
        },
        "commands": {
            "sim": f"ecoscout sim --suppliers N --seed {SEED} --out DIR --without {WITHOUT}",
            "dnsmasq": "dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces "
                       "--listen-address=127.0.0.1 --port=PORT --local=/test/ "
                       f"--address=/test/127.0.0.1 --local-ttl={DNS_TTL}",
            "ecoscout": shlex.join(
                ecoscout_crawl("DIR/seeds.csv", "DIR/trust.toml", "DB", "127.0.0.1:PORT", binary="ecoscout")
            ),
            "scrapy": shlex.join(scrapy_crawl(
                "DIR/seeds.csv", "pages.jsonl", "127.0.0.1:PORT", python="python",
                script="bench/scrapy/supplier_spider.py",
            )),
            "measure": "/usr/bin/time -v (wall, user+system CPU, maximum RSS); pages = requests the sim served",
        },
    }
    with tempfile.TemporaryDirectory(prefix="ecoscout-bench-") as workdir, Dns(workdir) as dns:
        result["crawl"] = crawl_comparison(cfg, workdir, dns.address)
        result["documents"] = documents_cost(cfg, workdir, dns.address)
        log("limit: wrk on the same pages")
        result["limit"] = served_limit(cfg, workdir)
        result["limit"]["ecoscout_share"] = round(
            result["crawl"]["median"]["ecoscout"]["pages_per_s"] / result["limit"]["requests_per_s"], 2
        )
        result["verification"] = verification(cfg)
        result["scale"], source_db = scale(cfg, workdir, dns.address)
        result["export"] = export(cfg, workdir, source_db)
    result["goals"] = goals(result)
    result["seconds"] = round(time.time() - started)
    out_dir = os.path.join(ROOT, "bench", "results")
    os.makedirs(out_dir, exist_ok=True)
    stem = result["date"] + ("-quick" if args.quick else "")
    with open(os.path.join(out_dir, stem + ".json"), "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    text = table(result) + "\n\n" + documents_table(result["documents"])
    with open(os.path.join(out_dir, stem + ".md"), "w") as f:
        f.write(text + "\n")
    print(text)
    log(f"done in {result['seconds']} s: bench/results/{stem}.json")


if __name__ == "__main__":
    main()
