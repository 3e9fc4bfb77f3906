"""A small HTTP/1.1 load generator for `POST /api/v1/activities`, run as its own process.

    python bench/loadgen.py BASE TOKEN UNIT_ID open RATE SECONDS     # open loop at RATE per second
    python bench/loadgen.py BASE TOKEN UNIT_ID closed CLIENTS SECONDS # closed loop, CLIENTS at once

TOKEN may be `@FILE`, a JSON list of [token, unit_id] pairs (UNIT_ID is then ignored): requests
take them in turn, each reporter logging in their own unit.

It speaks HTTP/1.1 over a pool of keep-alive sockets with asyncio streams and builds every request
before the clock starts, so the generator spends little of the machine's CPU on itself. In the open
loop each request has a scheduled time and its latency is measured from that time: a request that
waits for a free connection or for the server counts that wait (no coordinated omission).
Prints one JSON line: requests, errors, per_second, p50_ms, p95_ms, p99_ms, statuses.
"""
import asyncio
import itertools
import json
import sys
import time
import uuid
from collections import Counter
from datetime import date
from urllib.parse import urlsplit

CONNECTIONS = 48


def request_bytes(host: str, token: str, unit_id: int) -> bytes:
    body = json.dumps({
        "id": str(uuid.uuid4()), "type": "broadcast", "title": "Phát thanh tuyên truyền giảm nghèo",
        "start_date": date.today().isoformat(), "unit_id": unit_id, "airings": 2, "minutes_per_airing": 15,
        "details": {"channel": "commune_loudspeaker"}, "status": "submitted",
    }, ensure_ascii=False).encode()
    head = (f"POST /api/v1/activities HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


class Pool:
    def __init__(self, host: str, port: int, size: int):
        self.host, self.port, self.size = host, port, size
        self.free: asyncio.Queue = asyncio.Queue()

    async def open(self) -> None:
        for _ in range(self.size):
            self.free.put_nowait(await asyncio.open_connection(self.host, self.port))

    async def send(self, payload: bytes) -> int:
        reader, writer = await self.free.get()
        try:
            writer.write(payload)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            status = int(status_line.split()[1])
        except Exception:  # noqa: BLE001 — a broken connection is an error; replace it
            writer.close()
            reader, writer = await asyncio.open_connection(self.host, self.port)
            status = 0
        self.free.put_nowait((reader, writer))
        return status


def reporters(token: str, unit_id: int) -> itertools.cycle:
    """(token, unit_id) pairs to take in turn: one, or those of the file `@FILE`."""
    if token.startswith("@"):
        with open(token[1:]) as f:
            return itertools.cycle([(t, int(u)) for t, u in json.load(f)])
    return itertools.cycle([(token, unit_id)])


async def main(base: str, token: str, unit_id: int, mode: str, rate: float, duration: float) -> dict:
    turns = reporters(token, unit_id)
    parts = urlsplit(base)
    pool = Pool(parts.hostname, parts.port, CONNECTIONS)
    await pool.open()
    host = f"{parts.hostname}:{parts.port}"
    latencies: list[float] = []
    statuses: Counter = Counter()

    async def one(payload: bytes, scheduled: float) -> None:
        statuses[await pool.send(payload)] += 1
        latencies.append(time.perf_counter() - scheduled)

    for _ in range(20):  # warm-up: connections, caches, the server's first requests
        await pool.send(request_bytes(host, *next(turns)))

    if mode == "open":
        payloads = [request_bytes(host, *next(turns)) for _ in range(int(rate * duration))]
        start = time.perf_counter()
        tasks = []
        for i, payload in enumerate(payloads):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(payload, scheduled)))
        await asyncio.gather(*tasks)
    else:
        start = time.perf_counter()
        stop = start + duration

        async def client() -> None:
            while time.perf_counter() < stop:
                await one(request_bytes(host, *next(turns)), time.perf_counter())
        await asyncio.gather(*[client() for _ in range(int(rate))])
    elapsed = time.perf_counter() - start
    lat = sorted(latencies)
    pick = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1000, 1) if lat else None  # noqa: E731
    return {"requests": len(lat), "errors": sum(n for s, n in statuses.items() if s != 201),
            "per_second": round(len(lat) / elapsed, 1), "p50_ms": pick(.50), "p95_ms": pick(.95),
            "p99_ms": pick(.99), "statuses": {str(s): n for s, n in sorted(statuses.items())}}


if __name__ == "__main__":
    base, token, unit_id, mode, rate, duration = sys.argv[1:7]
    print(json.dumps(asyncio.run(main(base, token, int(unit_id), mode, float(rate), float(duration)))))
