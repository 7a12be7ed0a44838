"""A second OS process writing through its own EmbeddedStore, for the multi-process tests.

Run from the beskar7 project directory: `python -m tests.store.embedded_worker COMMAND ...`.
Once its store is open it prints `ready` and waits for a line on stdin before starting, so a
test can make several workers begin together.
  create DB PREFIX COUNT   create ConfigMaps PREFIX-0..COUNT-1 (COUNT 0: until killed),
                           printing each name once the store acknowledged it
  increment DB NAME TASKS N  TASKS concurrent tasks each add 1 to ConfigMap NAME's
                           data.count N times (read, update, retry on conflict)
"""

import asyncio
import itertools
import sys

from beskar7.api.errors import ConflictError
from beskar7.api.kinds import CONFIG_MAP, Obj
from beskar7.store.embedded.store import EmbeddedStore


def config_map(name: str, **data: str) -> Obj:
    return {
        "apiVersion": CONFIG_MAP.api_version,
        "kind": CONFIG_MAP.kind,
        "metadata": {"name": name, "namespace": "default"},
        "data": data,
    }


async def create(store: EmbeddedStore, prefix: str, count: int) -> None:
    numbers = range(count) if count else itertools.count()
    for i in numbers:
        name = f"{prefix}-{i}"
        await store.create(config_map(name, writer=prefix))
        sys.stdout.write(f"{name}\n")
        sys.stdout.flush()


async def increment(store: EmbeddedStore, name: str, times: int) -> None:
    for _ in range(times):
        while True:
            current = await store.get(CONFIG_MAP, "default", name)
            current["data"]["count"] = str(int(current["data"]["count"]) + 1)
            try:
                await store.update(current)
                break
            except ConflictError:
                await asyncio.sleep(0)


async def main(argv: list[str]) -> None:
    command, path, *args = argv
    store = EmbeddedStore(path)
    try:
        await store.list(CONFIG_MAP, "default")
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        await asyncio.to_thread(sys.stdin.readline)
        if command == "create":
            await create(store, args[0], int(args[1]))
        elif command == "increment":
            name, tasks, times = args[0], int(args[1]), int(args[2])
            await asyncio.gather(*(increment(store, name, times) for _ in range(tasks)))
        else:
            raise SystemExit(f"unknown command {command!r}")
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
