#!/usr/bin/env python3
"""Example worker for the cross-language test.

    worker.py --server http://127.0.0.1:7700 --queue Q --type T --service S [--asyncio]

Handles jobs of type T from queue Q, acking each with the result {"by":"python","n":<n>}
where n is the payload's "n"; beats as service S (language python); runs until SIGTERM or
SIGINT, then shuts down gracefully and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

import zenith


def handle(job: zenith.JobContext) -> dict[str, Any]:
    payload = job.json() or {}
    return {"by": "python", "n": payload.get("n")}


async def handle_async(job: zenith.JobContext) -> dict[str, Any]:
    return handle(job)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="http://127.0.0.1:7700")
    parser.add_argument("--queue", required=True)
    parser.add_argument("--type", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--asyncio", action="store_true", help="run the AsyncWorker")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)

    if args.asyncio:
        # wait=2: a shutdown waits at most that long for the reserve in flight.
        worker = zenith.AsyncWorker(args.server, [args.queue], service=args.service, wait=2.0)
        worker.handle(args.type, handle_async)
        asyncio.run(worker.run())
    else:
        threaded = zenith.Worker(args.server, [args.queue], service=args.service, wait=2.0)
        threaded.handle(args.type, handle)
        threaded.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
