"""The stand-in has no NCCL: importing ``cupy.cuda.nccl`` fails as it does where CuPy was built
without it."""

raise ImportError(
    "cupy.cuda.nccl is not available on the CuPy stand-in (tests/_cupy_standin): NCCL needs "
    "real GPUs"
)
