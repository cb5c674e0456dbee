"""Several worker processes on one port, each with its own listening socket (SO_REUSEPORT).

uvicorn's own --workers shares one socket among the workers, and Linux hands most new
connections to whichever process waited last: with a few keep-alive clients (a gateway, a load
balancer), one worker gets nearly all the work while the others idle. With a socket per worker,
the kernel picks a worker by a hash of each new connection's addresses: even over many
connections, uneven over a few (8 keep-alive connections on 2 workers split 4/4 only about one
time in four, 6/2 or worse about one time in three). The supervisor restarts a worker that dies
and stops them all on SIGTERM or SIGINT.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import time
from typing import Any

log = logging.getLogger("triage.supervisor")


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto named explicitly: asyncio sets TCP_NODELAY on accepted connections only when the
    # listening socket says IPPROTO_TCP; with proto 0, Nagle holds back a response's second
    # segment until the client's delayed ACK, 40 ms later
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(app: str, *, factory: bool, host: str, port: int, workers: int, options: dict[str, Any]) -> None:
    """Serve the ASGI app at import path `app`: in this process for one worker, else `workers`
    processes with a socket each. `options` are uvicorn.Config's (log_config, access_log, ...)."""
    import uvicorn

    if workers == 1:
        uvicorn.run(app, factory=factory, host=host, port=port, **options)
    else:
        run(app, factory=factory, host=host, port=port, workers=workers, options=options)


def _worker(app: str, factory: bool, host: str, port: int, options: dict[str, Any]) -> None:
    import logging.config

    import uvicorn

    logging.config.dictConfig(options["log_config"])
    config = uvicorn.Config(app, factory=factory, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[_listen(host, port)])


def run(app: str, *, factory: bool, host: str, port: int, workers: int, options: dict[str, Any]) -> None:
    """Start `workers` processes serving `app` on host:port; block until told to stop."""
    probe = _listen(host, port)  # fail here, clearly, if the port is taken
    context = multiprocessing.get_context("spawn")
    processes: list[multiprocessing.Process | None] = [None] * workers
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopping:
            for index, process in enumerate(processes):
                if process is None or not process.is_alive():
                    if process is not None:
                        log.warning("worker %s exited with %s; starting another", process.pid, process.exitcode)
                    processes[index] = context.Process(target=_worker, args=(app, factory, host, port, options), daemon=False)
                    processes[index].start()
            if probe is not None:  # the workers hold their own sockets now
                probe.close()
                probe = None
            time.sleep(0.5)
    finally:
        started = [p for p in processes if p is not None and p.pid is not None]
        for process in started:
            if process.is_alive():
                process.terminate()
        for process in started:
            process.join(timeout=20)
