#!/usr/bin/env python3
"""The MLP of samples/fashion_mlp.c through the clnn Python package: 784-512-256-10
(relu, dropout 0.2) on Fashion-MNIST with AdamW (weight decay 0.01, none on
biases), label smoothing 0.1 and a cosine learning rate; the same IDX files
(CLNN_FASHION_MNIST, else /usr/share/datasets/fashion-mnist: Debian's
dataset-fashion-mnist). Every step runs on the clnn device; only the batch
goes up and the logits come down.
    fashion_mlp.py [--epochs 5] [--batch 128] [--lr 1e-3] [--device SEL]
Last line: test_accuracy=0.xxxx"""
import argparse
import gzip
import math
import os
import sys
import time

import numpy as np

import clnn

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
WIDTHS = (784, 512, 256, 10)


def read_idx(path):
    """An IDX file (gzip or plain) as a numpy array: magic 0x0000 type ndims, big-endian sizes."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[:2] != b"\0\0" or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndims = data[3]
    dims = np.frombuffer(data, ">u4", ndims, 4).astype(int)
    return np.frombuffer(data, np.uint8, int(np.prod(dims)), 4 + 4 * ndims).reshape(dims)


def load(data_dir, split, limit):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    if limit:
        images, labels = images[:limit], labels[:limit]
    return (images.reshape(len(images), -1) / np.float32(255)).astype(np.float32), labels.astype(np.int32)


class MLP:
    """Weights, gradients and AdamW moments on the device, and one batch's activations."""

    def __init__(self, ctx, seed):
        self.ctx, self.layers = ctx, []
        for i, (n_in, n_out) in enumerate(zip(WIDTHS, WIDTHS[1:])):
            w, b = ctx.tensor((n_out, n_in)), ctx.zeros(n_out)
            bound = math.sqrt(6.0 / n_in)  # Kaiming uniform, as the C sample
            clnn.api.tensor_random_uniform(w, seed, i, -bound, bound)
            self.layers.append(dict(w=w, b=b, dw=ctx.tensor(w.shape), db=ctx.tensor(b.shape),
                                    mw=ctx.zeros(w.shape), vw=ctx.zeros(w.shape),
                                    mb=ctx.zeros(b.shape), vb=ctx.zeros(b.shape)))
        self.batches = {}  # activations by batch size (training's, and the test set's last one)

    def _activations(self, n):
        if n not in self.batches:
            t = self.ctx.tensor
            self.batches[n] = dict(n=n, x=t((n, 784)), y=t(n, "int32"), loss=t(1),
                                   z=[t((n, k)) for k in WIDTHS[1:]], h=[t((n, k)) for k in WIDTHS[1:]],
                                   dh=[t((n, k)) for k in WIDTHS[1:]], d=[t((n, k)) for k in WIDTHS[1:3]],
                                   dd=[t((n, k)) for k in WIDTHS[1:3]])
        return self.batches[n]

    def forward(self, x, p=0.0, seed=0):
        b = self._activations(len(x))
        b["x"].upload(x)
        inp = b["x"]
        for i, L in enumerate(self.layers):
            act = "relu" if i < 2 else "none"
            self.ctx.dense_forward(inp, L["w"], L["b"], act, 0.0, b["z"][i] if i < 2 else None, b["h"][i])
            inp = b["h"][i]
            if i < 2 and p > 0:
                self.ctx.dropout_forward(inp, p, seed, i, b["d"][i], None)
                inp = b["d"][i]
        return b["h"][2]

    def train_step(self, x, y, p, seed, opt):
        b = self._activations(len(x))
        self.forward(x, p, seed)
        b["y"].upload(y)
        self.ctx.cross_entropy_labels(b["h"][2], b["y"], label_smoothing=opt["label_smoothing"],
                                      loss=b["loss"], dlogits=b["dh"][2])
        for i in (2, 1, 0):
            L = self.layers[i]
            inp = b["x"] if i == 0 else b["d"][i - 1] if p > 0 else b["h"][i - 1]
            dx = None if i == 0 else b["dd"][i - 1] if p > 0 else b["dh"][i - 1]
            self.ctx.dense_backward(inp, L["w"], b["z"][i] if i < 2 else None, b["dh"][i], "relu" if i < 2 else "none",
                                    0.0, 0, dx, L["dw"], L["db"])
            if i > 0 and p > 0:
                self.ctx.dropout_backward(b["dd"][i - 1], p, seed, i - 1, b["dh"][i - 1])
        params = []
        for L in self.layers:
            params.append(dict(w=L["w"], g=L["dw"], m=L["mw"], v=L["vw"]))
            params.append(dict(w=L["b"], g=L["db"], m=L["mb"], v=L["vb"], no_decay=1))  # no decay on biases
        self.ctx.optim_step(params=params, kind="adamw", lr=opt["lr"], weight_decay=opt["weight_decay"],
                            step=opt["step"])
        return b["loss"].item()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--train-limit", type=int, default=0)
    ap.add_argument("--test-limit", type=int, default=0)
    ap.add_argument("--device", default=None)
    ap.add_argument("--data", default=os.environ.get("CLNN_FASHION_MNIST") or DEFAULT_DIR)
    a = ap.parse_args()
    if not os.path.exists(os.path.join(a.data, "train-images-idx3-ubyte.gz")):
        sys.exit(f"fashion_mlp.py: no Fashion-MNIST under {a.data}: apt-get install dataset-fashion-mnist, "
                 "or pass --data DIR / set CLNN_FASHION_MNIST")
    train_x, train_y = load(a.data, "train", a.train_limit)
    test_x, test_y = load(a.data, "test", a.test_limit)
    rng = np.random.default_rng(a.seed)
    with clnn.Context(a.device) as ctx:
        print(f"device: {ctx.device['name']}")
        model = MLP(ctx, a.seed)
        steps = len(train_x) // a.batch  # the last partial batch is dropped, as in the C sample
        step = 0
        for epoch in range(1, a.epochs + 1):
            order, t0, total = rng.permutation(len(train_x)), time.time(), 0.0
            for s in range(steps):
                idx = order[s * a.batch:(s + 1) * a.batch]
                step += 1
                lr = 0.5 * a.lr * (1 + math.cos(math.pi * min(step / (steps * a.epochs), 1.0)))
                total += model.train_step(train_x[idx], train_y[idx], a.dropout, a.seed * 0x100000001 + step,
                                          dict(lr=lr, weight_decay=a.weight_decay, step=step,
                                               label_smoothing=a.label_smoothing))
            seconds = time.time() - t0
            correct = 0
            for s in range(0, len(test_x), a.batch):
                logits = model.forward(test_x[s:s + a.batch]).numpy()
                correct += int((logits.argmax(1) == test_y[s:s + a.batch]).sum())
            acc = correct / len(test_x)
            print(f"epoch {epoch}: loss {total / max(steps, 1):.4f}  test accuracy {acc:.4f}  "
                  f"{steps * a.batch / seconds:.0f} images/s", flush=True)
        print(f"test_accuracy={acc:.4f}")


if __name__ == "__main__":
    main()
