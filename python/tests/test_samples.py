"""samples/python/*.py, briefly, on a few hundred real Fashion-MNIST images:
exit status 0 and a last line test_accuracy=0.xxxx well above chance (0.1)."""
import os
import re
import subprocess
import sys

import pytest

from conftest import require

SOURCE = os.environ.get("CLNN_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("CLNN_FASHION_MNIST") or "/usr/share/datasets/fashion-mnist"


def run_sample(name, *args):
    if not os.path.exists(os.path.join(DATA, "train-images-idx3-ubyte.gz")):
        pytest.skip(f"no Fashion-MNIST under {DATA} (Debian: dataset-fashion-mnist)")
    r = subprocess.run([sys.executable, os.path.join(SOURCE, "samples", "python", name), *args],
                       capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr
    last = r.stdout.strip().splitlines()[-1]
    m = re.fullmatch(r"test_accuracy=(0\.\d{4})", last)
    assert m, r.stdout
    return float(m.group(1))


def test_fashion_mlp():
    assert run_sample("fashion_mlp.py", "--epochs", "2", "--train-limit", "768", "--test-limit", "300",
                      "--batch", "64") > 0.4


def test_fashion_mlp_without_data_names_the_directory(tmp_path):
    r = subprocess.run([sys.executable, os.path.join(SOURCE, "samples", "python", "fashion_mlp.py"),
                        "--data", str(tmp_path / "missing")], capture_output=True, text=True)
    assert r.returncode != 0 and str(tmp_path / "missing") in r.stderr and "dataset-fashion-mnist" in r.stderr


def test_torch_regularizer():
    require("torch")
    assert run_sample("torch_regularizer.py", "--epochs", "2", "--train-limit", "1024", "--test-limit", "300") > 0.4
