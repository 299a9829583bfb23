"""pulumi.runtime.stack.wait_for_rpcs takes time quadratic in the outputs still pending when the program ends.

Standalone: needs only the `pulumi` package. No engine, no stack, no network. T outputs resolve one after another
(as a program's resource outputs do while the engine answers, one resource at a time), each with one apply, and
the SDK's wait drains them; CPU seconds of the wait for each T:

    python wait_for_rpcs_quadratic.py            # the SDK as it is
    python wait_for_rpcs_quadratic.py --linear   # the same outputs, drained by the fix proposed upstream
"""

import asyncio
import importlib.metadata
import sys
import time
from typing import Any

import pulumi
from pulumi.runtime import stack
from pulumi.runtime.settings import SETTINGS


async def drain_outputs() -> None:
    """The proposed drain: every pending output awaited once, in the order they complete (one done-callback each),
    the first failure re-raised as it happens, outputs created meanwhile picked up."""
    completed: asyncio.Queue[asyncio.Future[Any]] = asyncio.Queue()
    watched = 0
    while True:
        with SETTINGS.lock:
            new = list(SETTINGS.outputs)
            SETTINGS.outputs.clear()
        for task in new:
            task.add_done_callback(completed.put_nowait)
        watched += len(new)
        if not watched:
            return
        done = await completed.get()
        watched -= 1
        await done


async def linear_wait_for_rpcs(await_all_outstanding_tasks: bool = True) -> None:
    """wait_for_rpcs with the proposed drain (from outside: the SDK's own wait for the RPCs, then the drain)."""
    while True:
        await sdk_wait_for_rpcs(await_all_outstanding_tasks=False)
        if not await_all_outstanding_tasks:
            return
        await drain_outputs()
        if not SETTINGS.rpc_manager.rpcs:
            return


sdk_wait_for_rpcs = stack.wait_for_rpcs
wait = linear_wait_for_rpcs if "--linear" in sys.argv else sdk_wait_for_rpcs


async def end_of_program(outputs: int) -> float:
    """``outputs`` outputs pending, resolved one per event-loop turn; the CPU seconds the wait takes."""
    loop = asyncio.get_running_loop()
    values = [loop.create_future() for _ in range(outputs)]
    for value in values:
        pulumi.Output.from_input(value).apply(lambda v: v)

    def resolve(index: int = 0) -> None:
        if index < outputs:
            values[index].set_result(index)
            loop.call_soon(resolve, index + 1)

    loop.call_soon(resolve)
    started = time.process_time()
    await wait()
    return time.process_time() - started


print(f"pulumi {importlib.metadata.version('pulumi')}, Python {sys.version.split()[0]}, {wait.__name__}")
for outputs in (1000, 2000, 4000, 8000):
    print(f"{outputs:5} outputs pending: {asyncio.run(end_of_program(outputs)):6.2f} s of CPU", flush=True)
