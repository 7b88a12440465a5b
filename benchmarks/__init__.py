"""The benchmark suite: CPU and GPU workloads timed against a hand-written NumPy/CuPy reference
and PyTorch eager in the same process (``python -m benchmarks --help``)."""
