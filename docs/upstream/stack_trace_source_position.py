"""Standalone reproduction (needs only the ``pulumi`` package: no engine, no stack): the Python SDK records a subclass
of ``pulumi.dynamic.Resource`` as declared in the subclass's own constructor, not at the program's line.

``pulumi.runtime.resource._get_stack_trace`` (called by ``register_resource``) keeps the frames below the third
``__init__`` counted from the top. The chain here has the SDK's shape without the engine: ``Resource.__init__`` calls
it (as ``register_resource`` does), ``CustomResource.__init__`` and ``dynamic.Resource.__init__`` call up, and a
package's class subclasses ``dynamic.Resource``: four constructors. Run it: the first frame (the resource's
``sourcePosition``) is the package's constructor, the program's line only comes second.

    python docs/upstream/stack_trace_source_position.py
"""

from pulumi.runtime.resource import _get_stack_trace


class Resource:  # pulumi.resource.Resource.__init__ -> register_resource -> _get_stack_trace
    def __init__(self) -> None:
        self.trace = _get_stack_trace()


class CustomResource(Resource):  # pulumi.resource.CustomResource
    def __init__(self) -> None:
        super().__init__()


class DynamicResource(CustomResource):  # pulumi.dynamic.Resource
    def __init__(self) -> None:
        super().__init__()


class PackagesResource(DynamicResource):  # a package's dynamic resource, as users declare it
    def __init__(self) -> None:
        super().__init__()  # <- recorded as the resource's sourcePosition


class GeneratedResource(CustomResource):  # a generated SDK's resource: three constructors
    def __init__(self) -> None:
        super().__init__()


def line_of(position: object) -> str:
    uri, line = getattr(position, "uri", ""), getattr(position, "line", 0)
    return f"{uri.rsplit('/', 1)[-1]}:{line}"


if __name__ == "__main__":
    dynamic = PackagesResource()  # <- the program's line
    generated = GeneratedResource()  # <- the program's line
    for name, resource in (("dynamic resource subclass", dynamic), ("generated SDK resource", generated)):
        frames = [line_of(frame.pc) for frame in resource.trace.frames]
        print(f"{name}: sourcePosition {frames[0]}; frames {frames[:3]} ...")
