# Times the book's own NumPy code (Deep Learning from Scratch 2) on this machine: the training step
# of its RnnlmTrainer (batch, forward, backward, clipping, SGD) for the configurations that
# `deno task bench:train` times, so that the two can be compared on the same CPU.
#
#   git clone https://github.com/oreilly-japan/deep-learning-from-scratch-2 /tmp/dlfs2
#   python3 bench/book_numpy.py --book /tmp/dlfs2 [--json] [ch05 simple_full rnnlm better]
#
# Needs Python 3 and NumPy; matplotlib is not needed (the book's trainer imports it, so a stand-in
# is installed when it is missing). Data are random token ids of PTB's vocabulary size: speed does
# not depend on the words. Prints the median ms per iteration after a warm-up of at least --warmup
# iterations and 0.5 s, the peak RSS, and which OpenBLAS NumPy loaded (NumPy's wheels bundle their
# own). Threads are NumPy's own choice (its OpenBLAS takes every core unless OPENBLAS_NUM_THREADS
# says otherwise). `deno task bench:peers` runs it next to PyTorch and rnnlab.
import argparse
import json
import os
import resource
import statistics
import sys
import time
import types

# name: (model, N, T, D, H, V, max_grad, lr, iterations timed)
CONFIGS = {
    "ch05": ("SimpleRnnlm", 10, 5, 100, 100, 418, None, 0.1, 300),
    "simple_full": ("SimpleRnnlm", 20, 35, 100, 100, 10000, 0.25, 20.0, 30),
    "rnnlm": ("Rnnlm", 20, 35, 100, 100, 10000, 0.25, 20.0, 30),
    "better": ("BetterRnnlm", 20, 35, 650, 650, 10000, 0.25, 20.0, 8),
}


def import_book(book):
    for sub in ("ch06", "ch05", ""):
        sys.path.insert(0, os.path.join(book, sub))
    try:
        import matplotlib.pyplot  # noqa: F401
    except ImportError:
        mpl = types.ModuleType("matplotlib")
        mpl.pyplot = types.ModuleType("matplotlib.pyplot")
        mpl.use = lambda *a, **k: None
        sys.modules["matplotlib"] = mpl
        sys.modules["matplotlib.pyplot"] = mpl.pyplot
    from common.optimizer import SGD
    from common.trainer import RnnlmTrainer, remove_duplicate
    from common.util import clip_grads
    from simple_rnnlm import SimpleRnnlm
    from rnnlm import Rnnlm
    from better_rnnlm import BetterRnnlm

    models = {"SimpleRnnlm": SimpleRnnlm, "Rnnlm": Rnnlm, "BetterRnnlm": BetterRnnlm}
    return SGD, RnnlmTrainer, remove_duplicate, clip_grads, models


def blas():
    import numpy as np
    from openblas_info import openblas_info

    info = openblas_info()
    if info is not None:
        return "numpy %s, %s" % (np.__version__, info["config"]), info
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return "numpy %s, %s %s" % (np.__version__, cfg.get("name"), cfg.get("version")), None
    except Exception:
        return "numpy %s" % np.__version__, None


def run(name, book, iters=None, warmup=5):
    import numpy as np

    SGD, RnnlmTrainer, remove_duplicate, clip_grads, models = book
    model_name, N, T, D, H, V, max_grad, lr, default_iters = CONFIGS[name]
    iters = iters or default_iters
    np.random.seed(1)
    corpus = np.random.randint(0, V, size=(1000 if name == "ch05" else 100000) + 1)
    xs, ts = corpus[:-1], corpus[1:]
    cls = models[model_name]
    model = cls(V, D, H, 0.5) if model_name == "BetterRnnlm" else cls(V, D, H)
    optimizer = SGD(lr)
    trainer = RnnlmTrainer(model, optimizer)
    trainer.time_idx = 0

    def step():
        batch_x, batch_t = trainer.get_batch(xs, ts, N, T)
        model.forward(batch_x, batch_t)
        model.backward()
        params, grads = remove_duplicate(model.params, model.grads)
        if max_grad is not None:
            clip_grads(grads, max_grad)
        optimizer.update(params, grads)

    t0 = time.perf_counter()
    warm = 0
    while warm < warmup or (time.perf_counter() - t0 < 0.5 and warm < 10000):
        step()
        warm += 1
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    ms = statistics.median(times)
    return {"config": name, "iters": iters, "warmup": warm, "ms_per_iter": round(ms, 3),
            "ms_per_iter_min": round(min(times), 3), "tokens_per_sec": round(N * T / ms * 1e3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "loadavg": [round(x, 2) for x in os.getloadavg()]}


def main():
    p = argparse.ArgumentParser(description="Time the book's NumPy training step on this machine.")
    p.add_argument("--book", required=True, help="a checkout of oreilly-japan/deep-learning-from-scratch-2")
    p.add_argument("--iters", type=int, help="iterations timed (default: per configuration)")
    p.add_argument("--warmup", type=int, default=5, help="warm-up iterations, at least 0.5 s (5)")
    p.add_argument("--json", action="store_true", help="one JSON object per configuration")
    p.add_argument("configs", nargs="*", default=list(CONFIGS), help=" ".join(CONFIGS))
    a = p.parse_args()
    bad = [c for c in a.configs if c not in CONFIGS]
    if bad:
        sys.exit("unknown configuration %s; choose from %s" % (", ".join(bad), ", ".join(CONFIGS)))
    if a.iters is not None and a.iters < 1 or a.warmup < 0:
        sys.exit("--iters must be >= 1 and --warmup >= 0")
    try:
        import numpy  # noqa: F401
    except ImportError:
        sys.exit("the book's code needs NumPy: pip install numpy")
    if not os.path.isfile(os.path.join(a.book, "common", "trainer.py")):
        sys.exit("%s is not a checkout of the book's code (no common/trainer.py); see --help" % a.book)
    book = import_book(os.path.abspath(a.book))
    import numpy

    described, info = blas()
    header = {"numpy": numpy.__version__, "blas": described, "openblas": info,
              "python": sys.executable}
    if not a.json:
        print(described)
    for c in a.configs:
        r = run(c, book, a.iters, a.warmup)
        if a.json:
            print(json.dumps({**r, **header}), flush=True)
        else:
            print("%-12s %9.3f ms/iter (min %.3f)  %8d tokens/s  peak RSS %.0f MB" % (
                c, r["ms_per_iter"], r["ms_per_iter_min"], r["tokens_per_sec"], r["peak_rss_mb"]),
                flush=True)


if __name__ == "__main__":
    main()
