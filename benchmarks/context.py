"""What every workload is handed: the device, its array module for the reference, PyTorch where
installed, and the one way each side receives the same NumPy-made inputs."""

from __future__ import annotations

import numpy

import autograd_engine as ag


class Context:
    """The run's settings and the bridges from a NumPy array to each side.

    ``xp`` is the reference's array module (NumPy on the CPU, CuPy on the GPU); ``torch`` is
    the PyTorch module or ``None`` (not installed, switched off, or no CUDA build on a GPU
    run). Every workload draws its inputs from ``rng`` as float32 NumPy arrays and copies them
    to each side, so the three implementations start from identical numbers. ``clock`` is
    "wall" (``time.perf_counter``) or "process" (the process's CPU time: on a shared machine
    it leaves out the time other programs hold the cores; CPU runs only).
    """

    def __init__(self, device: str, quick: bool, torch=None, seed: int = 0, clock: str = "wall"):
        self.device = device
        self.quick = quick
        self.clock = clock
        if device == "cuda":
            import cupy  # noqa: PLC0415  (optional: only a GPU run needs it)

            self.xp = cupy
            self.ref_name = "cupy"
        else:
            self.xp = numpy
            self.ref_name = "numpy"
        self.torch = torch
        self.torch_device = "cuda" if device == "cuda" else "cpu"
        self.rng = numpy.random.default_rng(seed)

    @property
    def is_cuda(self) -> bool:
        return self.device == "cuda"

    def sync(self) -> None:
        """Wait for the GPU (every stream, PyTorch's too) before a clock is read."""
        if self.device == "cuda":
            self.xp.cuda.runtime.deviceSynchronize()

    def randn(self, *shape: int, scale: float = 1.0) -> numpy.ndarray:
        return (self.rng.standard_normal(shape) * scale).astype(numpy.float32)

    def uniform(self, bound: float, *shape: int) -> numpy.ndarray:
        return self.rng.uniform(-bound, bound, shape).astype(numpy.float32)

    def labels(self, classes: int, n: int) -> numpy.ndarray:
        return self.rng.integers(0, classes, n).astype(numpy.int64)

    def ref(self, array: numpy.ndarray):
        """A C-contiguous copy of ``array`` for the hand-written reference."""
        return self.xp.ascontiguousarray(self.xp.asarray(array))

    def ours(self, array: numpy.ndarray, requires_grad: bool = False) -> ag.Tensor:
        return ag.tensor(
            numpy.ascontiguousarray(array), device=self.device, requires_grad=requires_grad
        )

    def to_torch(self, array: numpy.ndarray, requires_grad: bool = False):
        t = self.torch.tensor(numpy.ascontiguousarray(array), device=self.torch_device)
        return t.requires_grad_(requires_grad)

    def host(self, array) -> numpy.ndarray:
        """A NumPy copy of a reference, engine or PyTorch array (for the agreement checks)."""
        if isinstance(array, ag.Tensor):
            return array.numpy()
        if hasattr(array, "detach"):
            return array.detach().cpu().numpy()
        if self.device == "cuda" and isinstance(array, self.xp.ndarray):
            return self.xp.asnumpy(array)
        return numpy.asarray(array)
