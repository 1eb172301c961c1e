#!/usr/bin/env python3
"""Measures what clnn.torch's host copies cost: the same loss and gradients
computed (a) from clnn tensors already on the device (the C call through the
Python wrapper, then clnn_finish) and (b) through clnn.torch from CPU torch
tensors, forward and backward (conversion to float32, upload, the same call,
download of the value and gradients, scaling by the incoming gradient); and
(c) the copies alone: the inputs uploaded into device tensors, the value and
gradients downloaded, as (b) does them. (b) - (a) is the wrapper's whole
cost over the device call; (c) its host-copy part, which does not drown in
the kernel's own timing noise when the kernel is long. Prints the median
and range over --runs runs of --iters calls each, the runs of (a), (b), (c)
interleaved.
    tools/python_overhead.py [--runs 7] [--iters 20] [--device SEL]
Needs the clnn package (PYTHONPATH=python CLNN_LIBRARY=build/libclnn.so.0
in a build tree) and torch."""
import argparse
import statistics
import time

import numpy as np
import torch

import clnn
import clnn.torch as ct

CASES = {
    # name: (clnn function, device-call keyword arguments, input shapes, labels)
    "infonce_tiled nt_xent N=512 D=128": ("infonce_tiled", dict(mode="nt_xent", temperature=0.1),
                                          [(512, 128), (512, 128)], None),
    "focal_loss N=4096 C=100": ("focal_loss", dict(gamma=2.0, poly_eps=0.0, reduction="mean"),
                                [(4096, 100)], 100),
}


def timed(fn, iters):
    fn()  # warm: kernels built, buffers allocated
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - t0) / iters


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--device", default=None)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    with clnn.Context(a.device) as ctx:
        ct.set_context(ctx)
        print(f"device: {ctx.device['name']}; {a.runs} runs of {a.iters} calls; median [min, max] ms per call")
        for label, (name, kw, shapes, classes) in CASES.items():
            host = [rng.normal(size=s).astype(np.float32) for s in shapes]
            dev = [ctx.from_numpy(h) for h in host]
            grads = [ctx.tensor(s) for s in shapes]
            loss = ctx.tensor(1)
            extra, textra = [], []
            if classes:
                y = rng.integers(0, classes, shapes[0][0]).astype(np.int32)
                extra, textra = [ctx.from_numpy(y)], [torch.from_numpy(y).long()]
            fn = getattr(ctx, name)
            gnames = [p for p in ("dz1", "dz2") if name.startswith("infonce")] or ["dlogits"]

            def device_call():
                fn(*dev, *extra, **kw, loss=loss, **dict(zip(gnames, grads)))
                ctx.finish()

            ts = [torch.from_numpy(h).requires_grad_() for h in host]

            def torch_call():
                for t in ts:
                    t.grad = None
                ct.loss(name, *ts, *textra, **kw).backward()

            def copies():
                for t, h in zip(dev, host):
                    t.upload(h)
                if extra:
                    extra[0].upload(y)
                loss.numpy()
                for g in grads:
                    g.numpy()

            d, w, c = [], [], []
            for _ in range(a.runs):
                d.append(timed(device_call, a.iters) * 1e3)
                w.append(timed(torch_call, a.iters) * 1e3)
                c.append(timed(copies, a.iters) * 1e3)
            moved = sum(h.nbytes for h in host) * 2 + (extra[0].nbytes if extra else 0)

            def fmt(x):
                return f"{statistics.median(x):.2f} [{min(x):.2f}, {max(x):.2f}]"
            print(f"{label}: (a) device tensors {fmt(d)}; (b) clnn.torch {fmt(w)}; (c) copies alone {fmt(c)} "
                  f"for {moved / 1e6:.2f} MB up and down")


if __name__ == "__main__":
    main()
