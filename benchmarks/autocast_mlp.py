"""float16 autocast against float32 on the MLP training step (the GPU issue's target: the
4096x4 MLP at batch 4096 at least 2x faster under autocast). Both steps are ours: nn.Sequential,
F.cross_entropy, optim.SGD; the autocast step adds ``ag.autocast`` and ``amp.GradScaler``.

    python -m benchmarks.autocast_mlp --device cuda [--json PATH]   # the real measurement
    python -m benchmarks.autocast_mlp --quick                       # small sizes: runs anywhere

Medians of interleaved rounds; the device is synchronized before every clock read."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.autocast_mlp")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true", help="small sizes and few rounds")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    from benchmarks import env

    with env.pinned(tf32=False):  # one BLAS thread; TF32 off for the float32 baseline
        return _run(args)


def _run(args) -> dict:
    import autograd_engine as ag
    import nn
    import nn.functional as F
    import optim

    width, batch, layers = (64, 64, 4) if args.quick else (4096, 4096, 4)
    repeat = args.repeat or (3 if args.quick else 15)
    device = args.device
    sizes = [width] * layers + [10]
    ag.manual_seed(0)
    x = ag.randn(batch, width, device=device)
    y = ag.randint(0, 10, (batch,), device=device)

    def make():
        mods = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            mods += [nn.Linear(n_in, n_out), nn.ReLU()]
        model = nn.Sequential(*mods[:-1]).to(device)
        return model, optim.SGD(model.parameters(), lr=0.01)

    plain_model, plain_opt = make()
    amp_model, amp_opt = make()
    low = ag.float16
    scaler = ag.amp.GradScaler(device if device == "cpu" else "cuda")

    def plain_step():
        plain_opt.zero_grad()
        F.cross_entropy(plain_model(x), y).backward()
        plain_opt.step()

    def amp_step():
        amp_opt.zero_grad()
        with ag.autocast(ag.device(device).type, dtype=low):
            loss = F.cross_entropy(amp_model(x), y)
        scaler.scale(loss).backward()
        scaler.step(amp_opt)
        scaler.update()

    on_gpu = ag.device(device).type == "cuda"

    def timed(step) -> float:
        if on_gpu:
            ag.cuda.synchronize()
        start = time.perf_counter()
        step()
        if on_gpu:
            ag.cuda.synchronize()
        return time.perf_counter() - start

    for step in (plain_step, amp_step):  # warm-up: allocations, kernel compilation
        step()
    samples = {"float32": [], "autocast float16": []}
    for _ in range(repeat):
        samples["float32"].append(timed(plain_step))
        samples["autocast float16"].append(timed(amp_step))
    medians = {k: statistics.median(v) for k, v in samples.items()}
    speedup = medians["float32"] / medians["autocast float16"]
    result = {
        "device": device,
        "sizes": sizes,
        "batch": batch,
        "repeat": repeat,
        "median_s": medians,
        "samples_s": samples,
        "speedup": speedup,
        "target": ">= 2x on a GPU (4096x4, batch 4096)",
    }
    print(
        f"MLP {width}x{layers} batch {batch} on {device}: float32 {medians['float32'] * 1e3:.2f} "
        f"ms, autocast float16 {medians['autocast float16'] * 1e3:.2f} ms, "
        f"speed-up {speedup:.2f}x (target >= 2x on a GPU)"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
