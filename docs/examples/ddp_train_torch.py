"""A plain PyTorch DDP training script: the original that ddp_train.py runs on autograd_engine
with only its imports changed (see docs/distributed.md)."""

import argparse
import json
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 32)
        self.fc2 = nn.Linear(32, 4)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32, help="global batch size")
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--out", default=None, help="write the numbers here (JSON)")
    args = parser.parse_args()

    ddp = int(os.environ.get("RANK", -1)) != -1  # started by a launcher?
    if ddp:
        dist.init_process_group(backend="gloo")
        rank, world_size = dist.get_rank(), dist.get_world_size()
    else:
        rank, world_size = 0, 1
    master = rank == 0

    g = torch.Generator().manual_seed(0)
    x = torch.randn(512, 20, generator=g)
    y = (x @ torch.randn(20, 4, generator=g)).argmax(1)
    dataset = TensorDataset(x, y)
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, seed=0)
    loader = DataLoader(
        dataset, batch_size=args.batch_size // world_size, sampler=sampler,
        num_workers=args.workers,
    )  # fmt: skip

    torch.manual_seed(0)
    model = Net()
    if ddp:
        model = DDP(model)
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)

    history = []
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        total, steps = torch.zeros(()), 0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.detach()
            steps += 1
        if ddp:
            dist.all_reduce(total, op=dist.ReduceOp.AVG)
        history.append(total.item() / steps)
        if master:
            print(f"epoch {epoch}: loss {history[-1]:.6f}")

    if master and args.out:
        weights = model.module if ddp else model
        with open(args.out, "w") as f:
            json.dump({"losses": history, "fc2.bias": weights.fc2.bias.tolist()}, f)
    if ddp:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
