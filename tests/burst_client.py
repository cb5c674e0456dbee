"""A gateway in its own process: posts messages as fast as it can and writes the external id of
every message the server acknowledged (2xx) to a file, one per line, flushed at once.

Usage: python tests/burst_client.py URL KEY ACK_FILE COUNT THREADS
It stops when the server has gone away (a run of connection errors) or after COUNT messages."""

from __future__ import annotations

import sys
import threading

import httpx

BODIES = [
    "Hello, my parcel has not arrived yet, where is it?",
    "Please cancel my order, I ordered the wrong size.",
    "Das Display ist gerissen, ich möchte einen Ersatz.",
    "亲，我的快递三天没更新了，麻烦查一下",
    "Comment réinitialiser le casque Bluetooth ?",
    "返品したいのですが、手続きを教えてください。",
]


def main(url: str, key: str, ack_path: str, count: int, threads: int) -> None:
    lock = threading.Lock()
    next_index = iter(range(count))
    failures = [0]
    with open(ack_path, "a", encoding="utf-8") as acks:

        def post_until_gone() -> None:
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=10) as client:
                while failures[0] < 20:
                    with lock:
                        index = next(next_index, None)
                    if index is None:
                        return
                    payload = {"external_id": f"burst-{index}", "channel": "burst", "sender_email": f"b{index}@buyer.example",
                               "body": BODIES[index % len(BODIES)], "order_id": f"111-{index:07d}-0000000"}
                    try:
                        response = client.post("/v1/messages", json=payload)
                    except httpx.HTTPError:
                        with lock:
                            failures[0] += 1
                        continue
                    if response.status_code in (200, 201):
                        with lock:
                            acks.write(f"burst-{index}\n")
                            acks.flush()

        workers = [threading.Thread(target=post_until_gone) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
