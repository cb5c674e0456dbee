"""Serve benchmarks/bare_app.py exactly as `triage serve` serves the service: the same
supervisor, workers, logging and access log.

Usage: python benchmarks/bare_serve.py --port P --workers N"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import supervisor  # noqa: E402
from app.logs import logging_config  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    supervisor.serve("benchmarks.bare_app:app", factory=False, host="127.0.0.1", port=args.port, workers=args.workers,
                     options={"access_log": True, "log_config": logging_config()})
