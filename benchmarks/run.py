"""The cost of a message, measured on this machine.

Usage: python benchmarks/run.py [--quick] [--json] [--workers 2] [--concurrency 8] [--duration 20]
                                [--database-url URL] [--model-dir DIR]

- language: the detector on short messages and on real buyer messages (messages/s, p99 of one);
- classify: one message at a time (p50, p99) and a batch on one core (messages/s);
- http: `triage serve` and, served the same way (benchmarks/bare_serve.py: same supervisor, uvicorn
  workers, JSON logging and access log), a bare FastAPI endpoint (benchmarks/bare_app.py), each
  driven by wrk from another process with varied messages in all languages; ratio = pipeline
  requests/s over bare requests/s;
- train: training time and peak memory on the shipped data grown to 10k, 50k and 200k rows;
- service_rss_mb: the largest serving worker after the HTTP run.
--quick: a shorter HTTP run and training on 10k rows only. --json prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import language as language_bench  # noqa: E402
from benchmarks import train_time  # noqa: E402

BIN = Path(sys.executable).parent


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _sample_messages(count: int, seed: int = 0) -> list[tuple[str, str]]:
    from classifier.data import read_dir

    rows = [(e.text, e.lang or "und") for e in read_dir(ROOT / "training_data")]
    random.Random(seed).shuffle(rows)
    return rows[:count]


def _model_dir(requested: Path | None, scratch: Path) -> Path:
    from classifier import artifact

    for candidate in (requested, ROOT / "models"):
        if candidate and artifact.latest(candidate) is not None:
            return candidate
    _progress("no trained model found: training one from training_data/ for the benchmark")
    target = scratch / "models"
    subprocess.run([str(BIN / "triage"), "train"], check=True, cwd=scratch, stdout=subprocess.DEVNULL,
                   env={**os.environ, "TRIAGE_MODEL_DIR": str(target), "TRIAGE_DATABASE_URL": f"sqlite:///{scratch / 'train.db'}",
                        "TRIAGE_TRAINING_DATA_DIR": str(ROOT / "training_data")})
    return target


# --- language and classification, in this process -------------------------------------------------


def bench_language(messages: list[tuple[str, str]]) -> dict:
    from classifier.language import LanguageDetector

    short = language_bench.load(sorted((ROOT / "benchmarks" / "data").glob("language_short_*.csv")))
    report = language_bench.measure(short + messages, LanguageDetector())
    return {"msgs_per_s": report["msgs_per_s"], "p99_ms": report["p99_ms"], "p50_ms": report["p50_ms"],
            "accuracy": report["accuracy"], "short_accuracy": report["short"]["accuracy"]}


def bench_classify(model_dir: Path, texts: list[str]) -> dict:
    from threadpoolctl import threadpool_limits

    from classifier import artifact

    classifier = artifact.load(artifact.latest(model_dir))
    with threadpool_limits(1):
        for text in texts[:100]:
            classifier.predict(text)
        latencies = []
        for text in texts[:3000]:
            started = time.perf_counter()
            classifier.predict(text)
            latencies.append((time.perf_counter() - started) * 1000)
        latencies.sort()
        batch = (texts * 3)[:6000]
        started = time.perf_counter()
        classifier.predict_many(batch)
        batch_seconds = time.perf_counter() - started
    return {"single_p50_ms": round(statistics.median(latencies), 3),
            "single_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 3),
            "batch_msgs_per_s": round(len(batch) / batch_seconds)}


# --- HTTP: triage serve against the bare endpoint, driven by wrk ---------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_ready(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout}s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _worker_rss_mb(parent: int) -> float:
    """The largest resident set among the server's processes (supervisor and workers)."""
    largest = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[1]) != parent and int(entry.name) != parent:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    largest = max(largest, int(line.split()[1]))
        except (OSError, IndexError, ValueError):
            continue
    return round(largest / 1024, 1)


def _wrk(url: str, *, seconds: float, concurrency: int, env: dict[str, str]) -> dict:
    command = ["wrk", "-t2", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--latency", "-s",
               str(ROOT / "benchmarks" / "wrk_post.lua"), url]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env}, check=True)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    summary["rps"] = round(summary["requests"] / summary["seconds"], 1)
    return summary


def _bodies_file(scratch: Path, messages: list[tuple[str, str]]) -> Path:
    path = scratch / "bodies.lua"
    lines = ["bodies = {"]
    for text, _ in messages:
        encoded = json.dumps(text[:1500], ensure_ascii=True)
        lines.append(f"[==[{encoded}]==],")
    lines.append("}")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _postgres_scope(url: str) -> tuple[str, callable]:
    """A fresh schema for the run, dropped afterwards."""
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}", drop


def bench_http(*, model_dir: Path, messages: list[tuple[str, str]], workers: int, concurrency: int, seconds: float,
               database_url: str | None, scratch: Path) -> dict:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed for the HTTP benchmark: apt-get install wrk")
    drop = None
    if database_url:
        url, drop = _postgres_scope(database_url)
    else:
        url = f"sqlite:///{scratch / 'bench.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    env.update({"TRIAGE_DATABASE_URL": url, "TRIAGE_MODEL_DIR": str(model_dir), "TRIAGE_TRAIN_ON_START": "false",
                "TRIAGE_RATE_LIMIT_PER_MINUTE": "0", "TRIAGE_TEMPLATES_DIR": str(ROOT / "templates" / "replies")})
    created = subprocess.run([str(BIN / "triage"), "keys", "create", "bench", "--role", "ingest", "--json"], env=env, cwd=scratch,
                             capture_output=True, text=True, check=True)
    key = json.loads(created.stdout)["key"]
    wrk_env = {"BODIES_FILE": str(_bodies_file(scratch, messages)), "INGEST_KEY": key}
    result: dict = {"database": "postgresql" if database_url else "sqlite", "workers": workers, "concurrency": concurrency}
    try:
        for name, command, ready in (
            ("bare", [str(BIN / "python"), str(ROOT / "benchmarks" / "bare_serve.py"), "--workers", str(workers)], "/docs"),
            ("pipeline", [str(BIN / "triage"), "serve", "--workers", str(workers)], "/healthz"),
        ):
            port = _free_port()
            with (scratch / f"{name}.log").open("wb") as log:
                process = subprocess.Popen([*command, "--port", str(port)], env={**env, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                                           stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                base = f"http://127.0.0.1:{port}"
                _wait_ready(base + ready, process)
                _progress(f"  http: {name} warming up")
                _wrk(base, seconds=2, concurrency=concurrency, env={**wrk_env, "RUN_ID": f"{name}-warm"})
                _progress(f"  http: {name} for {seconds:.0f}s at concurrency {concurrency}")
                run = _wrk(base, seconds=seconds, concurrency=concurrency, env={**wrk_env, "RUN_ID": name})
                result[f"{name}_rps"] = run["rps"]
                if name == "pipeline":
                    result.update(pipeline_p50_ms=round(run["p50_us"] / 1000, 2), pipeline_p99_ms=round(run["p99_us"] / 1000, 2),
                                  errors=run["errors"])
                    result["service_rss_mb"] = _worker_rss_mb(process.pid)
                else:
                    result.update(bare_p50_ms=round(run["p50_us"] / 1000, 2), bare_p99_ms=round(run["p99_us"] / 1000, 2),
                                  bare_errors=run["errors"])
            finally:
                _stop(process)
    finally:
        if drop:
            drop()
    result["ratio"] = round(result["pipeline_rps"] / result["bare_rps"], 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter HTTP run, training on 10k rows only")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=None, help="seconds of each HTTP run (at most 30; default 20, quick 8)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL for the HTTP run (default: a SQLite file)")
    parser.add_argument("--model-dir", type=Path, default=None, help="a trained model (default: models/, else one is trained)")
    parser.add_argument("--skip", action="append", default=[], choices=["language", "classify", "http", "train"])
    args = parser.parse_args()
    seconds = min(30.0, args.duration or (8.0 if args.quick else 20.0))
    scratch = Path(tempfile.mkdtemp(prefix="triage-bench-"))
    report: dict = {}
    try:
        messages = _sample_messages(2000)
        texts = [text for text, _ in messages]
        if "language" not in args.skip:
            _progress("language detection")
            report["language"] = bench_language(messages)
        model_dir = _model_dir(args.model_dir, scratch) if {"classify", "http"} - set(args.skip) else None
        if "classify" not in args.skip:
            _progress("classification")
            report["classify"] = bench_classify(model_dir, texts)
        if "http" not in args.skip:
            _progress("http")
            http = bench_http(model_dir=model_dir, messages=messages[:600], workers=args.workers, concurrency=args.concurrency,
                              seconds=seconds, database_url=args.database_url, scratch=scratch)
            report["service_rss_mb"] = http.pop("service_rss_mb")
            report["http"] = http
        if "train" not in args.skip:
            report["train"] = []
            for rows in ([10_000] if args.quick else [10_000, 50_000, 200_000]):
                _progress(f"training on {rows} rows")
                report["train"].append(train_time.measure(rows))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if args.json:
        print(json.dumps(report))
    else:
        _print_table(report)


def _print_table(report: dict) -> None:
    if "language" in report:
        lang = report["language"]
        print(f"language   {lang['msgs_per_s']:>8} msgs/s   p50 {lang['p50_ms']} ms   p99 {lang['p99_ms']} ms   "
              f"accuracy {lang['accuracy']:.1%} (short {lang['short_accuracy']:.1%})")
    if "classify" in report:
        c = report["classify"]
        print(f"classify   single p50 {c['single_p50_ms']} ms   p99 {c['single_p99_ms']} ms   batch {c['batch_msgs_per_s']} msgs/s (one core)")
    if "http" in report:
        h = report["http"]
        print(f"http       {h['database']}, {h['workers']} workers, concurrency {h['concurrency']}")
        print(f"           bare     {h['bare_rps']:>8} req/s   p50 {h['bare_p50_ms']} ms   p99 {h['bare_p99_ms']} ms")
        print(f"           pipeline {h['pipeline_rps']:>8} req/s   p50 {h['pipeline_p50_ms']} ms   p99 {h['pipeline_p99_ms']} ms   "
              f"errors {h['errors']}")
        print(f"           ratio    {h['ratio']}")
    if "service_rss_mb" in report:
        print(f"service    largest worker {report['service_rss_mb']} MB resident")
    for t in report.get("train", []):
        print(f"train      {t['rows']:>7} rows   {t['seconds']:>6} s   peak {t['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()
