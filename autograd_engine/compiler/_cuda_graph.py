"""CUDA graphs for a checked program (``mode="reduce-overhead"``): the device work between host
steps is captured once with CuPy's stream capture and launched as one graph per call.

Written against CuPy's documented API (``Stream(non_blocking=True)``, ``begin_capture()`` /
``end_capture()`` on that stream, ``Graph.launch(stream)``, ``cuda.using_allocator``,
``MemoryPool``) and tested on the CPU with a model of capture
(``tests/compile/test_cuda_graphs.py``); not yet run on a GPU.

- Host steps stay outside the graphs: ``optimizer.step()`` (so the learning rate and the step
  counts are read on every call), ``zero_grad()``, the accumulation into ``.grad``, version
  bumps. Grad-mode switches run while capturing only.
- The first call after the program is checked runs it on the side stream with a private memory
  pool (cuBLAS workspaces and the pool's blocks are made outside capture); the next call
  captures every device segment (capture runs nothing), then launches.
- Inputs are copied into static buffers before each launch; parameters and buffers are read
  where they were at capture (a parameter whose array was replaced makes the program trace
  again); outputs are copied out; the gradients in ``.grad`` are the graph's static buffers.
- Softmax cross-entropy's host check of the class indices (a synchronizing read) is left out
  of the graph: an out-of-range target gives a wrong loss there instead of an IndexError.
- A program with random draws, or whose capture fails (a host read inside an op), is replayed
  without a graph, with one ``CompileWarning``.
"""

from __future__ import annotations

from .. import array_backend, kernels
from ..ops.loss import SoftmaxCrossEntropy, _class_positions
from ..ops.stochastic import Dropout
from ..tensor import Tensor
from ._program import GuardMiss, rebuild
from ._trace import ensure_array

_HOST = frozenset(("call", "accumulate", "version"))  # (grad-mode switches run while capturing)


class CannotCapture(Exception):
    """Why a program cannot become CUDA graphs (the message says). ``quiet``: nothing to warn
    about (CPU tensors, where PyTorch's reduce-overhead has no CUDA graphs either)."""

    quiet = False


class CupyCapture:
    """CuPy's stream capture: a non-blocking side stream (capture cannot run on the legacy
    default stream), a private memory pool for everything allocated while capturing (the graph
    keeps those addresses, so no other array may get them), launches on the current stream
    (so the host steps' kernels, which run there, are ordered with the graph's)."""

    def __init__(self):
        cuda = array_backend.cupy.cuda
        self.cuda = cuda
        self.stream = cuda.Stream(non_blocking=True)
        self.pool = cuda.MemoryPool()

    def on_side_stream(self):
        """Run on the side stream, allocating from the private pool."""
        return _Both(self.cuda.using_allocator(self.pool.malloc), self.stream)

    def allocating(self):
        return self.cuda.using_allocator(self.pool.malloc)

    def capture(self, runs):
        with self.on_side_stream():
            self.stream.begin_capture()
            try:
                for run in runs:
                    run()
            finally:
                graph = self.stream.end_capture()
        return graph

    def launch(self, graph) -> None:
        graph.launch(self.cuda.get_current_stream())

    def synchronize(self) -> None:
        self.stream.synchronize()


capture_factory = CupyCapture  # NOTE: the tests put a model of capture here


class _Both:
    def __init__(self, first, second):
        self.first, self.second = first, second

    def __enter__(self):
        self.first.__enter__()
        self.second.__enter__()

    def __exit__(self, *exc):
        try:
            self.second.__exit__(*exc)
        finally:
            self.first.__exit__(*exc)
        return False


class GraphedProgram:
    """A program whose device segments are CUDA graphs (see the module docstring). ``capture``
    is the capture mechanism (CuPy's, or a model of it in the tests)."""

    def __init__(self, program, capture=None):
        self.program = program
        if program.region is not None:
            raise CannotCapture("its backward runs later, outside the compiled function")
        if any(type(s.node) is Dropout for s in program.steps if s.node is not None):
            raise CannotCapture("it draws random numbers (dropout)")
        maker = capture if capture is not None else capture_factory
        values = program.inputs + program.externals
        on_cpu = any(type(v.reg.array) is array_backend.numpy.ndarray for v in values)
        if on_cpu and not getattr(maker, "models_cpu", False):
            exc = CannotCapture("it works on CPU arrays")
            exc.quiet = True
            raise exc
        self.capture = capture if capture is not None else capture_factory()
        self.state = "warm-up"
        self.segments: list = []
        self.static_inputs: dict[int, object] = {}
        self.captured: list = []  # (external value, its array at capture)

    def replay(self, tensors):
        with self.program.lock:
            return self._replay(tensors)

    def _replay(self, tensors):
        if self.state == "warm-up":
            return self._warm_up(tensors)
        if self.state == "capture":
            self._capture(tensors)
        return self._launch(tensors)

    def _warm_up(self, tensors):
        """Run the program once on the side stream, allocating from the private pool (so
        cuBLAS's workspaces and the pool's blocks exist before capture)."""
        with self.capture.on_side_stream():
            result = _copied(self.program.replay(tensors))
        self.capture.synchronize()
        self.state = "capture"
        return result

    def _capture(self, tensors) -> None:
        program = self.program
        for value in program.inputs:  # static input buffers, from the private pool
            with self.capture.allocating():
                static = tensors[value.index].array.copy()
            self.static_inputs[id(value)] = static
            value.reg.array = static
            value.live = tensors[value.index]
        for value in program.externals:
            value.reg.array = value.live.array
        self.captured = [(v, v.reg.array) for v in program.externals]
        segments, device, zeroed = [], [], False
        for step in program.steps:
            if step.kind == "call" and getattr(step.info, "__name__", "") == "zero_grad":
                zeroed = True
            if step.kind in _HOST:
                if device:
                    segments.append(("graph", device))
                    device = []
                run = _own_gradient(step) if step.kind == "accumulate" and not zeroed else None
                segments.append(("host", run or _static_outputs(step)))
            else:
                device.append(_capturable(step))
        if device:
            segments.append(("graph", device))
        self.state = "failed"
        try:
            self.segments = [
                (kind, item if kind == "host" else self.capture.capture(item))
                for kind, item in segments
            ]
        except Exception as exc:  # noqa: BLE001  (a host read, an allocation refused)
            raise CannotCapture(f"capturing it failed ({type(exc).__name__}: {exc})") from exc
        self.state = "graphs"

    def _launch(self, tensors):
        program = self.program
        for value in program.inputs:
            t = tensors[value.index]
            self.static_inputs[id(value)][...] = t.array
            value.live = t
        for value, array in self.captured:
            if value.live.array is not array:
                raise GuardMiss("a parameter's array was replaced since the capture")
        for kind, item in self.segments:
            if kind == "graph":
                self.capture.launch(item)
            else:
                item()
        return _copied(rebuild(program.outputs))


def _copied(result):
    """The result with every tensor's array copied (the graph's buffers are reused)."""
    if isinstance(result, Tensor):
        return Tensor._make(result.array.copy())
    if isinstance(result, tuple) and hasattr(result, "_fields"):
        return type(result)(*[_copied(x) for x in result])
    if isinstance(result, (tuple, list)):
        return type(result)(_copied(x) for x in result)
    if isinstance(result, dict):
        return type(result)((k, _copied(v)) for k, v in result.items())
    return result


def _static_outputs(step):
    """A host step whose outputs the graphs read: written into the arrays the capture saw."""
    if not step.outs:
        return step.run
    run, outs = step.run, [v for v in step.outs if v is not None]

    def host():
        kept = [v.reg.array for v in outs]
        run()
        for v, array in zip(outs, kept):
            if v.reg.array is not array:
                array[...] = v.reg.array
                v.reg.array = array

    return host


def _own_gradient(step):
    """An accumulation in a step that does not zero the gradients itself: a ``.grad`` made from
    the graph's buffer gets its own copy, since the next launch overwrites that buffer before
    the next accumulation adds to it."""
    run, src, target = step.run, step.ins[0].reg, step.ins[1]

    def host():
        run()
        grad = target.live.grad
        if grad is not None and grad.array is src.array:
            target.live.grad = Tensor._make(src.array.copy())

    return host


def _capturable(step):
    """The run of a device step: softmax cross-entropy without its host check."""
    generic = not getattr(step.run, "_rule", False)  # (CPU rules are for NumPy arrays only)
    if step.kind == "forward" and type(step.node) is SoftmaxCrossEntropy and generic:
        return _sce_unchecked(step)
    return step.run


def _sce_unchecked(step):
    """``SoftmaxCrossEntropy.forward`` for valid class indices, without reading them on the
    host (the check synchronizes, which a capture refuses)."""
    pn = step.node
    (a,) = step.ins[:1]
    out = step.outs[0].reg
    generic = step.run
    target = step.ins[1] if len(step.ins) > 1 else None

    def run():
        if pn.reduction not in ("mean", "sum") or a.reg.array.ndim != 2:
            return generic()
        x = a.reg.array
        t = target.reg.array if target is not None else pn.target
        xp = array_backend.get_array_module(x)
        at = _class_positions(t, xp)
        k = kernels.fused("softmax_cross_entropy", x)
        if k is not None:
            loss, e = k(x, t, xp.ones(t.shape, x.dtype))
        else:
            shifted = x - x.max(axis=1, keepdims=True)
            e = xp.exp(shifted)
            s = e.sum(axis=1, keepdims=True)
            loss = xp.log(s).squeeze(1) - shifted[at]
            e /= s
        count = xp.asarray(t.size, dtype=x.dtype)
        pn.save_for_backward(e, at, None, count)
        total = loss.sum()
        out.array = ensure_array(total / count if pn.reduction == "mean" else total)

    return run
