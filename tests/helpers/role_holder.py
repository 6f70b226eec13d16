"""A process that contends for a role (`leader_for` on the database URL given) and, while it
holds it, writes the monotonic time to OUT every 10 ms: what tests/db/test_advisory.py kills
and compares. Run as `python -m tests.helpers.role_holder URL NAME OUT`."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from newsbot import db
from newsbot.db.leases import leader_for


async def hold(url: str, name: str, out: Path) -> None:
    engine = db.make_engine(url)
    leader = leader_for(db.make_sessionmaker(engine), name)
    with out.open("a") as samples:
        print("ready", flush=True)
        while True:
            await leader.acquire()
            while True:
                now = time.monotonic()
                if not leader.valid:  # no await in between: `now` lies inside the valid term
                    break
                samples.write(f"{now:.6f}\n")
                samples.flush()
                await asyncio.sleep(0.01)


if __name__ == "__main__":
    asyncio.run(hold(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
