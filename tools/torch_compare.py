#!/usr/bin/python3
"""One training step of each clnn sample against the same step in PyTorch on
the same CPU, measured in one run.

clnn's side is `clnn-bench --only train` (the samples' own model code,
samples/common/*_model.c); PyTorch's side builds the same models here:

  MLP 784-512-256-10, relu, dropout 0.2, cross-entropy with label smoothing
      0.1, AdamW (lr 1e-3, decay 0.01 on weights only), batch 128
  CNN [conv3x3(1->16) - batchnorm - relu - maxpool2] -> [conv3x3(16->32) -
      batchnorm - relu - maxpool2] -> dense(1568 -> 10), cutout 6x6, AdamW
      (lr 2e-3, decay 0.01 on the dense weight), the group-lasso proximal
      step on both filter banks (strength 0.1), batch 64

Both time forward + loss + backward + optimizer on random images (wall
clock, median of --repeats after a warm-up). PyTorch uses every core
(torch.set_num_threads(os.cpu_count())), as PoCL does.

Needs Debian's python3-torch (apt-get install python3-torch) and, for a fair
comparison, an optimized BLAS behind it: Debian's PyTorch calls libblas.so.3,
which is the slow reference BLAS unless libopenblas0 is installed (the script
warns). clnn-bench does not depend on this script.

    /usr/bin/python3 tools/torch_compare.py [--bench build/tools/clnn-bench] [--repeats 7]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    sys.exit("torch_compare: PyTorch is missing (apt-get install python3-torch; run with /usr/bin/python3)")


def mlp_model():
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 256), nn.ReLU(),
                         nn.Dropout(0.2), nn.Linear(256, 10))


def cnn_model():
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


def adamw(model, lr, decayed):
    """AdamW with decoupled decay 0.01 on the parameters `decayed` selects."""
    groups = [{"params": [p for p in model.parameters() if decayed(p)], "weight_decay": 0.01},
              {"params": [p for p in model.parameters() if not decayed(p)], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.999), eps=1e-8)


def cutout(x, side, gen):
    """Zeroes one random side x side square per image (clipped at the border)."""
    n, _, h, w = x.shape
    cy = torch.randint(0, h, (n,), generator=gen)
    cx = torch.randint(0, w, (n,), generator=gen)
    for i in range(n):
        y0, x0 = max(0, int(cy[i]) - side // 2), max(0, int(cx[i]) - side // 2)
        x[i, :, y0:y0 + side, x0:x0 + side] = 0


def group_lasso_prox(w, strength, lr):
    """Block soft-threshold of each output filter: w_k *= max(0, 1 - lr*strength/||w_k||)."""
    with torch.no_grad():
        norms = w.flatten(1).norm(dim=1).clamp_min(1e-12)
        w.mul_((1 - lr * strength / norms).clamp_min(0).view(-1, 1, 1, 1))


def time_steps(step, repeats):
    step()  # warm-up: allocations, first-touch
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def torch_mlp(repeats):
    torch.manual_seed(1)
    model, n = mlp_model(), 128
    opt = adamw(model, 1e-3, lambda p: p.dim() > 1)
    x, y = torch.rand(n, 784), torch.arange(n) * 7 % 10
    model.train()

    def step():
        opt.zero_grad(set_to_none=False)
        F.cross_entropy(model(x), y, label_smoothing=0.1).backward()
        opt.step()
    return n / time_steps(step, repeats)


def torch_cnn(repeats):
    torch.manual_seed(1)
    model, n = cnn_model(), 64
    dense = model[9].weight
    opt = adamw(model, 2e-3, lambda p: p is dense)
    x0, y = torch.rand(n, 1, 28, 28), torch.arange(n) * 7 % 10
    gen = torch.Generator().manual_seed(1)
    model.train()

    def step():
        x = x0.clone()
        cutout(x, 6, gen)
        opt.zero_grad(set_to_none=False)
        F.cross_entropy(model(x), y).backward()
        opt.step()
        group_lasso_prox(model[0].weight, 0.1, 2e-3)
        group_lasso_prox(model[4].weight, 0.1, 2e-3)
    return n / time_steps(step, repeats)


def clnn_rows(bench, repeats):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "train.json")
        subprocess.run([bench, "--only", "train", "--repeats", str(repeats), "--json", out], check=True,
                       stdout=subprocess.DEVNULL)
        with open(out) as f:
            report = json.load(f)
    rows = {r["name"].split()[0]: r["value"] for r in report["results"] if r["group"] == "train"}
    return report["device"], rows


def blas_warning():
    """Debian's PyTorch (BLAS_INFO=generic) uses whatever libblas.so.3 resolves to."""
    lib = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    if os.path.exists(lib) and "/blas/" in lib:
        return f"warning: PyTorch uses the reference BLAS ({lib}); apt-get install libopenblas0 for a fair comparison"
    return None


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", default=os.path.join(here, "..", "build", "tools", "clnn-bench"))
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    device, clnn = clnn_rows(args.bench, args.repeats)
    ours = {"MLP": torch_mlp(args.repeats), "CNN": torch_cnn(args.repeats)}
    print(f"training step, images/s: clnn on {device} vs PyTorch {torch.__version__} on the CPU "
          f"({torch.get_num_threads()} threads)")
    warning = blas_warning()
    if warning:
        print(warning)
    print(f"{'model':6} {'clnn':>10} {'PyTorch':>10} {'clnn/PyTorch':>13}")
    for model in ("MLP", "CNN"):
        if model not in clnn:
            print(f"{model:6} clnn-bench reported no row")
            continue
        print(f"{model:6} {clnn[model]:10.1f} {ours[model]:10.1f} {clnn[model] / ours[model]:12.2f}x")


if __name__ == "__main__":
    main()
