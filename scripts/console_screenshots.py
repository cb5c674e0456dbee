"""Take the README's console screenshots from a real `triage serve` with sample messages.

Usage: python scripts/console_screenshots.py [--out docs] [--model-dir models]
Needs a trained model (run `triage train` first) and Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "screenshot-password"
NOW = datetime.now(UTC)
SAMPLES = [
    ("The screen of the tablet I received is cracked in the corner. I want a replacement please.", "amazon-us", "Amazon.com", "Jordan Miller", 26),
    ("Hallo, mein Paket ist seit 10 Tagen unterwegs und die Sendungsverfolgung zeigt nichts Neues. Wo bleibt es?", "amazon-de", "Amazon.de", "Petra Schulz", 20),
    ("Bonjour, est-ce que je peux encore annuler ma commande ? Elle n'est pas encore expédiée je crois.", "amazon-fr", "Amazon.fr", "Claire Martin", 15),
    ("Hola, quiero devolver las zapatillas, me quedan pequeñas. ¿Cómo lo hago?", "amazon-es", "Amazon.es", "Lucía Gómez", 9),
    ("Buongiorno, la lavatrice segna errore F05 e non scarica. Cosa devo fare?", "amazon-it", "Amazon.it", "Marco Rossi", 6),
    ("届いた商品の箱が潰れていて、中のカップが割れていました。交換をお願いします。", "amazon-jp", "Amazon.co.jp", "山田 花子", 4),
    ("亲，我买的蓝牙耳机连不上手机，怎么配对啊？", "taobao", "Taobao", "小李", 3),
    ("Do you ship to Canada? And can I get an invoice with my company VAT number?", "email", None, "Sam Lee", 2),
    ("where is my order?? its been 2 weeks", "amazon-us", "Amazon.com", "Chris P", 1),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _triage(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "triage"), *args], env=env, cwd=ROOT, input=stdin,
                          capture_output=True, text=True, check=True)
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--model-dir", type=Path, default=ROOT / "models")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="triage-shots-"))
    port = _free_port()
    env = {**os.environ, "TRIAGE_DATABASE_URL": f"sqlite:///{workdir / 'shots.db'}", "TRIAGE_MODEL_DIR": str(args.model_dir),
           "TRIAGE_TRAIN_ON_START": "false", "TRIAGE_SELLER_NAME": "Northwind Goods",
           "TRIAGE_AUTO_INTENTS": "[]"}  # everything to the queue, so the picture shows a full one
    key = json.loads(_triage(env, "keys", "create", "screenshots", "--role", "ingest", "--json"))["key"]
    _triage(env, "users", "add", "maria", "--role", "agent", "--password-stdin", stdin=PASSWORD + "\n")
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "triage"), "serve", "--port", str(port), "--no-access-log"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        ids = []
        for number, (body, channel, marketplace, name, hours_ago) in enumerate(SAMPLES, start=1):
            payload = {"external_id": f"shot-{number}", "channel": channel, "sender_email": f"buyer{number}@example.com",
                       "sender_name": name, "body": body, "order_id": f"{100 + number}-4567890-12345{number:02d}",
                       "received_at": (NOW - timedelta(hours=hours_ago)).isoformat()}
            if marketplace:
                payload["marketplace"] = marketplace
            response = httpx.post(f"{base}/v1/messages", json=payload, headers={"Authorization": f"Bearer {key}"})
            response.raise_for_status()
            ids.append((response.json()["id"], response.json()["route"]))
        args.out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 760})
            page.goto(f"{base}/console/login")
            page.fill("input[name=name]", "maria")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/console/queue")
            page.screenshot(path=str(args.out / "console-queue.png"))
            review_ids = [i for i, route in ids if route == "review"] or [ids[0][0]]
            page.goto(f"{base}/console/messages/{review_ids[1]}")
            page.set_viewport_size({"width": 1280, "height": 1100})
            page.screenshot(path=str(args.out / "console-item.png"))
            browser.close()
        print(f"wrote {args.out / 'console-queue.png'} and {args.out / 'console-item.png'}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
