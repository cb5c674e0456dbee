"""Take the README's console screenshots from a real `triage serve` with sample messages (and, for
the dashboard, thirty days of seeded history).

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
sys.path.insert(0, str(ROOT))
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


def seed_history(database_url: str) -> None:
    """Thirty days of a seller's life for the dashboard: messages, replies, votes, corrections,
    and quality complaints about one chair rising in the last week (seeded, so the picture is
    the same each time)."""
    import random

    from sqlmodel import Session

    from app import db
    from app.models import Conversation, Feedback, Label, Message, OutboxItem

    rng = random.Random(0)
    intents = ["logistics_delay"] * 5 + ["return"] * 3 + ["quality"] * 3 + ["cancellation"] * 2 + ["technical_support"] * 2 + ["other"]
    languages = ["en", "en", "de", "de", "fr", "es", "it", "ja", "zh"]
    engine = db.make_engine(database_url)
    with Session(engine) as session:
        for day in range(30, 0, -1):
            spike = day <= 7
            for n in range(rng.randint(18, 34) + (6 if spike else 0)):
                received = NOW - timedelta(days=day, hours=rng.uniform(0, 23))
                intent = "quality" if spike and n < 6 else rng.choice(intents)
                sku = "B0CHAIR042" if intent == "quality" and (spike and n < 6 or rng.random() < 0.1) else None
                language = rng.choice(languages)
                conversation = Conversation(sender_email=f"seed{day}-{n}@buyer.example", created_at=received, last_message_at=received)
                session.add(conversation)
                session.flush()
                auto = intent != "other" and rng.random() < 0.35
                message = Message(channel="amazon-de" if language == "de" else "amazon-us", external_id=f"seed-{day}-{n}",
                                  sender_email=conversation.sender_email, body="(seeded)", received_at=received, created_at=received,
                                  due_at=received + timedelta(hours=24), route="auto" if auto else "review",
                                  status="auto" if auto else "approved", intent=intent, language=language, sku=sku,
                                  conversation_id=conversation.id, model_version="20261120-093000",
                                  draft_template=f"{language}/{intent}.j2", draft_language=language)
                session.add(message)
                session.flush()
                hours = rng.uniform(0.01, 0.1) if auto else rng.choice([rng.uniform(1, 20)] * 9 + [rng.uniform(24, 40)])
                sent = received + timedelta(hours=hours)
                if sent < NOW:
                    session.add(OutboxItem(message_id=message.id, to_address=message.sender_email, subject="Re", body="(seeded)",
                                           language=language, status="sent", created_by="auto" if auto else "maria",
                                           created_at=sent, sent_at=sent, template=message.draft_template))
                    if rng.random() < 0.3:
                        unhappy = rng.random() < (0.45 if message.draft_template == "de/return.j2" else 0.12)
                        session.add(Feedback(message_id=message.id, solved=not unhappy, source="api", created_at=sent + timedelta(hours=2)))
                if not auto:
                    suggested = intent if rng.random() > 0.08 else rng.choice(intents)
                    session.add(Label(message_id=message.id, intent=intent, suggested_intent=suggested, source="console",
                                      actor="maria", created_at=sent))
        session.commit()
    engine.dispose()


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
            seed_history(env["TRIAGE_DATABASE_URL"])
            page.goto(f"{base}/console/dashboard")
            page.set_viewport_size({"width": 1280, "height": 1500})
            page.screenshot(path=str(args.out / "console-dashboard.png"), full_page=True)
            browser.close()
        print(f"wrote {args.out / 'console-queue.png'}, {args.out / 'console-item.png'} and {args.out / 'console-dashboard.png'}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
