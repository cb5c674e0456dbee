"""A real `triage serve` in its own process group, for tests that need real processes: several
workers, kill -9, a database that goes away."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
TRIAGE = Path(sys.executable).with_name("triage")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(database_url: str, model_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    env.update({
        "TRIAGE_DATABASE_URL": database_url,
        "TRIAGE_MODEL_DIR": str(model_dir),
        "TRIAGE_TEMPLATES_DIR": str(REPO / "templates" / "replies"),
        "TRIAGE_TRAINING_DATA_DIR": str(REPO / "training_data"),
        "TRIAGE_TRAIN_ON_START": "false",
        "TRIAGE_MODEL_POLL_SECONDS": "1",
        "TRIAGE_RATE_LIMIT_PER_MINUTE": "0",
    })
    env.update(extra)
    return env


class LiveServer:
    """`triage serve --workers N` on a free port; `kill()` sends SIGKILL to every process of it."""

    def __init__(self, env: dict[str, str], *, workers: int = 1, cwd: Path, port: int | None = None) -> None:
        self.env, self.workers, self.cwd = env, workers, cwd
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = cwd / f"server-{self.port}.log"

    def start(self, timeout: float = 60) -> LiveServer:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(TRIAGE), "serve", "--port", str(self.port), "--workers", str(self.workers)],
                env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code in (200, 503):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not start in {timeout}s:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL to the whole process group: the supervisor and every worker, no clean-up."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
