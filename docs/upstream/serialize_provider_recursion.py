"""pulumi.dynamic.serialize_provider fails with RecursionError after about 980 calls in one process.

Standalone: needs only the `pulumi` package. No engine, no stack, no network:

    python serialize_provider_recursion.py            # the SDK as it is
    python serialize_provider_recursion.py --restore  # the same calls, with the fix proposed upstream
"""

import importlib.metadata
import pickle
import sys

from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider


class Provider(ResourceProvider):
    pass


def wrapper_depth() -> int:
    """How many closures serialize_provider has stacked around pickle._Pickler._batch_setitems."""
    depth, method = 0, pickle._Pickler._batch_setitems
    while method.__closure__:
        depth, method = depth + 1, method.__closure__[0].cell_contents
    return depth


def serialize_and_restore(provider: ResourceProvider) -> str:
    """The proposed fix, shown from outside: put back the two pickler methods serialize_provider replaces, in the
    same `finally` that already puts back `pickle.Pickler`."""
    saved = pickle._Pickler._batch_setitems, pickle._Pickler.save_dict
    try:
        return serialize_provider(provider)
    finally:
        pickle._Pickler._batch_setitems, pickle._Pickler.save_dict = saved


serialize = serialize_and_restore if "--restore" in sys.argv else serialize_provider
print(
    f"pulumi {importlib.metadata.version('pulumi')}, dill {importlib.metadata.version('dill')}, "
    f"Python {sys.version.split()[0]}, recursion limit {sys.getrecursionlimit()}"
)
for call in range(1, 3001):
    try:
        serialize(Provider())  # what every pulumi.dynamic.Resource(...) does once
    except RecursionError as error:
        print(f"call {call}: RecursionError: {error} (wrappers stacked: {wrapper_depth()})")
        break
    if call in (1, 2, 500):
        print(f"call {call}: ok (wrappers stacked: {wrapper_depth()})")
else:
    print(f"3000 calls: ok (wrappers stacked: {wrapper_depth()})")
