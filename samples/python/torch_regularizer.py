#!/usr/bin/env python3
"""A small PyTorch model trained with clnn's losses and regularizers (clnn.torch):
an MLP on Fashion-MNIST whose training labels are 40% wrong, trained with
the active-passive NCE+RCE loss of Ma et al. (clnn_robust_loss, robust to
label noise), PaLM's z-loss on the logits and soft orthogonality of the
first layer's weights, all computed by clnn on its OpenCL device, gradients
back into autograd. --loss ce trains the same model with PyTorch's
cross-entropy for comparison.
    torch_regularizer.py [--epochs 8] [--noise 0.4] [--loss nce+rce|ce]
Last line: test_accuracy=0.xxxx"""
import argparse
import os
import sys

import numpy as np
import torch

import clnn.torch as ct

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_mlp import DEFAULT_DIR, load  # noqa: E402  (the same IDX reader)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--noise", type=float, default=0.4, help="fraction of training labels replaced at random")
    ap.add_argument("--loss", choices=["nce+rce", "ce"], default="nce+rce")
    ap.add_argument("--train-limit", type=int, default=10000)
    ap.add_argument("--test-limit", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", default=os.environ.get("CLNN_FASHION_MNIST") or DEFAULT_DIR)
    a = ap.parse_args()
    if not os.path.exists(os.path.join(a.data, "train-images-idx3-ubyte.gz")):
        sys.exit(f"torch_regularizer.py: no Fashion-MNIST under {a.data}: apt-get install dataset-fashion-mnist")
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    x, y = load(a.data, "train", a.train_limit)
    tx, ty = load(a.data, "test", a.test_limit)
    noisy = y.copy()
    flip = rng.random(len(y)) < a.noise
    noisy[flip] = rng.integers(0, 10, flip.sum())
    x, tx = torch.from_numpy(x), torch.from_numpy(tx)
    noisy, ty = torch.from_numpy(noisy).long(), torch.from_numpy(ty).long()

    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    # the clnn objectives: one line each
    robust = ct.Loss("robust_loss", nce=1.0, rce=1.0, reduction="mean")  # NCE+RCE (alpha = beta = 1)
    zloss = ct.ZLoss(coef=1e-4)
    ortho = ct.WeightPenalty("reg_ortho", lambda_=1e-4)
    for epoch in range(1, a.epochs + 1):
        order = torch.randperm(len(x))
        total = 0.0
        for s in range(0, len(x) - 127, 128):
            idx = order[s:s + 128]
            logits = model(x[idx])
            if a.loss == "ce":
                loss = torch.nn.functional.cross_entropy(logits, noisy[idx])
            else:
                loss = robust(logits, noisy[idx]) + zloss(logits) + ortho(model[0].weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        with torch.no_grad():
            acc = (model(tx).argmax(1) == ty).float().mean().item()
        print(f"epoch {epoch}: loss {total / (len(x) // 128):.4f}  test accuracy {acc:.4f}", flush=True)
    print(f"test_accuracy={acc:.4f}")


if __name__ == "__main__":
    main()
