"""Throughput of the sandbox on one uvicorn worker: token requests/s and searchItems/s.

Starts the sandbox in a subprocess (one process, one uvicorn worker, built with the same
``make_server`` as ``amzauth sandbox``, with the demo world's rate limits lifted), then drives it from
``--procs`` client processes, each keeping ``--conns`` keep-alive connections busy. The default
client speaks raw HTTP/1.1 over asyncio streams so that the client, which shares this machine's
cores with the server, costs as little CPU as possible; ``--client httpx`` uses httpx instead.

    python benchmarks/bench_sandbox.py                 # both figures, 5 s each
    python benchmarks/bench_sandbox.py --http httptools --seconds 10

Prints one line per scenario, and a JSON summary last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import figure

TOKEN_PATH = "/api.amazon.com/auth/o2/token"
CREATORS_TOKEN_BODY = {
    "grant_type": "client_credentials",
    "client_id": "amzn1.application-oa2-client.5a4db0x31demo00000000000000031",
    "client_secret": "amzn1.oa2-cs.v1.5a4db0x31demosecretnotreal000000000000000000000031",
    "scope": "creatorsapi::default",
}
SEARCH_PATH = "/creatorsapi.amazon/catalog/v1/searchItems"
SEARCH_BODY = {
    "keywords": "wireless earbuds",
    "partnerTag": "demo-20",
    "itemCount": 10,
    "resources": [
        "itemInfo.title",
        "offersV2.listings.price",
        "images.primary.medium",
        "customerReviews.count",
    ],
}


def _request_bytes(path: str, body: dict[str, Any], headers: dict[str, str]) -> bytes:
    raw = json.dumps(body).encode()
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
            f"Content-Length: {len(raw)}"]  # fmt: skip
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + raw


async def _raw_conn(port: int, req: bytes, deadline: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            writer.write(req)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            counts[0 if status < 300 else 1] += 1
    finally:
        writer.close()


async def _httpx_conn(client: Any, url: str, body: dict[str, Any], headers: dict[str, str], deadline: float,
                      counts: list[int]) -> None:  # fmt: skip
    while time.perf_counter() < deadline:
        r = await client.post(url, json=body, headers=headers)
        counts[0 if r.status_code < 300 else 1] += 1


def _client_proc(kind: str, port: int, path: str, body: dict[str, Any], headers: dict[str, str], conns: int,
                 seconds: float, start_at: float, out: Any) -> None:  # fmt: skip
    async def main() -> list[int]:
        counts = [0, 0]
        while time.time() < start_at:
            await asyncio.sleep(0.005)
        deadline = time.perf_counter() + seconds
        if kind == "raw":
            req = _request_bytes(path, body, headers)
            await asyncio.gather(*(_raw_conn(port, req, deadline, counts) for _ in range(conns)))
        else:
            import httpx

            limits = httpx.Limits(max_connections=conns, max_keepalive_connections=conns)
            async with httpx.AsyncClient(limits=limits, timeout=30) as client:
                url = f"http://127.0.0.1:{port}{path}"
                await asyncio.gather(*(_httpx_conn(client, url, body, headers, deadline, counts)
                                       for _ in range(conns)))  # fmt: skip
        return counts

    out.put(asyncio.run(main()))


def drive(kind: str, port: int, path: str, body: dict[str, Any], headers: dict[str, str], *, procs: int,
          conns: int, seconds: float) -> tuple[float, int, int]:  # fmt: skip
    q: Any = mp.Queue()
    start_at = time.time() + 0.5
    ps = [mp.Process(target=_client_proc, args=(kind, port, path, body, headers, conns, seconds, start_at, q))
          for _ in range(procs)]  # fmt: skip
    for p in ps:
        p.start()
    ok = bad = 0
    for _ in ps:
        a, b = q.get(timeout=seconds + 60)
        ok += a
        bad += b
    for p in ps:
        p.join()
    return (ok + bad) / seconds, ok, bad


def start_server(http: str, world: Path) -> tuple[subprocess.Popen[str], int]:
    """``amzauth sandbox --port 0`` in a subprocess; returns it and the port it printed."""
    code = (
        "import sys, uvicorn\n"
        "from amzauth.sandbox.app import create_app\n"
        "from amzauth.sandbox.server import bind_socket, make_server\n"
        "from amzauth.sandbox.world import load_world\n"
        "from pathlib import Path\n"
        "sock = bind_socket('127.0.0.1', 0)\n"
        "def announce():\n"
        "    print(f'sandbox listening on http://127.0.0.1:{sock.getsockname()[1]}', flush=True)\n"
        f"server = make_server(create_app(load_world(Path({str(world)!r}))), on_started=announce, http={http!r})\n"
        "server.run(sockets=[sock])\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise SystemExit(f"the sandbox did not start: {line!r}")
    return proc, int(line.rsplit(":", 1)[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--procs", type=int, default=2, help="client processes")
    ap.add_argument("--conns", type=int, default=16, help="keep-alive connections per client process")
    ap.add_argument("--client", choices=("raw", "httpx"), default="raw")
    ap.add_argument("--http", default="h11", help="uvicorn HTTP implementation (h11, httptools if installed)")
    args = ap.parse_args()
    if args.http == "httptools":
        import importlib.util

        if importlib.util.find_spec("httptools") is None:
            raise SystemExit("httptools is not installed here (pip install httptools, or use --http h11)")

    from amzauth.sandbox.world import demo_world

    world = demo_world()
    # Benchmarks measure the server, not the rate limiter: lift the Creators API limits.
    world.limits.creators_rate = 1e9
    world.limits.creators_burst = 10**9
    world.limits.creators_daily = 10**12
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "world.json"
        path.write_text(json.dumps(world.model_dump(mode="json")), encoding="utf-8")
        proc, port = start_server(args.http, path)
        try:
            import httpx

            r = httpx.post(f"http://127.0.0.1:{port}{TOKEN_PATH}", json=CREATORS_TOKEN_BODY)
            r.raise_for_status()
            token = r.json()["access_token"]
            results: dict[str, Any] = {"http": args.http, "client": args.client, "procs": args.procs,
                                       "conns": args.conns, "seconds": args.seconds, "cpus": os.cpu_count()}  # fmt: skip
            rate, ok, bad = drive(args.client, port, TOKEN_PATH, CREATORS_TOKEN_BODY, {}, procs=args.procs,
                                  conns=args.conns, seconds=args.seconds)  # fmt: skip
            figure("sandbox token requests/s (one uvicorn worker)", rate, "/s", note=f"{ok} ok, {bad} failed")
            results["token_rps"] = round(rate)
            results["token_failed"] = bad
            hdrs = {"Authorization": f"Bearer {token}", "x-marketplace": "www.amazon.com"}
            rate, ok, bad = drive(args.client, port, SEARCH_PATH, SEARCH_BODY, hdrs, procs=args.procs,
                                  conns=args.conns, seconds=args.seconds)  # fmt: skip
            figure("sandbox searchItems/s (one uvicorn worker)", rate, "/s", note=f"{ok} ok, {bad} failed")
            results["search_rps"] = round(rate)
            results["search_failed"] = bad
            print(json.dumps(results))
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
