# Times PyTorch on the CPU training the four configurations that `deno task bench:train` and
# bench/book_numpy.py time, written the way PyTorch's own word_language_model example trains:
# nn.Embedding, nn.RNN (tanh) or nn.LSTM, nn.Linear, cross-entropy over the logits (log-softmax +
# NLL in one call), truncated BPTT with the hidden state detached between batches,
# clip_grad_norm_ and plain SGD. Batches are the book's: N streams read the corpus from offsets
# i * floor(L / N), T steps per batch, wrapping at its end.
#
#   apt-get install -y python3-torch          # Debian's PyTorch, for /usr/bin/python3
#   /usr/bin/python3 bench/torch_peer.py --data-dir /work/shared/data/ptb [--json] [ch05 ...]
#
# PyTorch is a peer in benchmarks only, never a dependency of rnnlab. With --data-dir the corpus is
# PTB's training set (chapter 5: its first 1000 tokens, V = 418); without it, random token ids of
# the same size and vocabulary: speed does not depend on the words.
#
# Threads: torch.set_num_threads(--threads, default 2) for PyTorch's own (OpenMP) kernels, and
# OPENBLAS_NUM_THREADS=--openblas-threads (default 1) for the matrix products of a PyTorch built on
# OpenBLAS, set before torch loads. Prints the median ms per iteration after a warm-up of at least
# --warmup iterations and 0.5 s, the peak RSS, and which BLAS PyTorch uses.
import argparse
import json
import os
import resource
import statistics
import sys
import time

# name: (model, N, T, D, H, V, max_grad, lr, corpus tokens (None: all of PTB's), iterations timed)
CONFIGS = {
    "ch05": ("SimpleRnnlm", 10, 5, 100, 100, 418, None, 0.1, 1000, 300),
    "simple_full": ("SimpleRnnlm", 20, 35, 100, 100, 10000, 0.25, 20.0, None, 30),
    "rnnlm": ("Rnnlm", 20, 35, 100, 100, 10000, 0.25, 20.0, None, 30),
    "better": ("BetterRnnlm", 20, 35, 650, 650, 10000, 0.25, 20.0, None, 8),
}
PTB_TRAIN_TOKENS = 929589


def ptb_ids(data_dir, tokens):
    """PTB's training words as ids in order of first appearance, as the book's dataset/ptb.py."""
    with open(os.path.join(data_dir, "ptb.train.txt")) as f:
        words = f.read().replace("\n", "<eos>").strip().split()
    if tokens is not None:
        words = words[:tokens]
    ids = {}
    return [ids.setdefault(w, len(ids)) for w in words], len(ids)


def build(torch, name, V, D, H):
    nn = torch.nn

    class SimpleRnnlm(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(V, D)
            self.rnn = nn.RNN(D, H, nonlinearity="tanh")
            self.affine = nn.Linear(H, V)

        def forward(self, x, state):  # x (T, N) -> logits (T, N, V)
            out, state = self.rnn(self.embed(x), state)
            return self.affine(out), state

        def initial_state(self, N):
            return torch.zeros(1, N, H)

    class Rnnlm(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(V, D)
            self.lstm = nn.LSTM(D, H)
            self.affine = nn.Linear(H, V)

        def forward(self, x, state):
            out, state = self.lstm(self.embed(x), state)
            return self.affine(out), state

        def initial_state(self, N):
            return (torch.zeros(1, N, H), torch.zeros(1, N, H))

    class BetterRnnlm(nn.Module):
        # The book's BetterRnnlm: dropout after the embedding, between the LSTMs and after the
        # second; the output layer's weight is the embedding (Press & Wolf 2017, Inan et al. 2016).
        def __init__(self, dropout=0.5):
            super().__init__()
            self.embed = nn.Embedding(V, D)
            self.drop = nn.Dropout(dropout)
            self.lstm = nn.LSTM(D, H, num_layers=2, dropout=dropout)
            self.affine = nn.Linear(H, V)
            self.affine.weight = self.embed.weight

        def forward(self, x, state):
            out, state = self.lstm(self.drop(self.embed(x)), state)
            return self.affine(self.drop(out)), state

        def initial_state(self, N):
            return (torch.zeros(2, N, H), torch.zeros(2, N, H))

    return {"SimpleRnnlm": SimpleRnnlm, "Rnnlm": Rnnlm, "BetterRnnlm": BetterRnnlm}[name]()


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def blas(torch):
    from openblas_info import openblas_info

    info = openblas_info()
    if info is not None:
        return "OpenBLAS %s, %s thread(s)" % (info["core"], info["threads"]), info
    if torch.backends.mkl.is_available():
        return "MKL", None
    return "unknown BLAS", None


def run(name, torch, data_dir, iters, warmup):
    F = torch.nn.functional
    model_name, N, T, D, H, V, max_grad, lr, tokens, default_iters = CONFIGS[name]
    iters = iters or default_iters
    torch.manual_seed(1)
    if data_dir:
        ids, V = ptb_ids(data_dir, tokens)
        corpus = torch.tensor(ids, dtype=torch.long)
    else:
        corpus = torch.randint(0, V, ((tokens or PTB_TRAIN_TOKENS),), dtype=torch.long)
    xs, ts = corpus[:-1], corpus[1:]
    L = len(xs)
    model = build(torch, model_name, V, D, H)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    # The book's batching, time-major as PyTorch's RNNs take it: row s of a batch is step s of
    # every stream; stream i starts at i * floor(L / N) and every batch moves all of them T on.
    offsets = torch.arange(N) * (L // N)  # (N,)
    steps = torch.arange(T).unsqueeze(1)  # (T, 1)
    state = model.initial_state(N)
    time_idx = 0

    def step():
        nonlocal state, time_idx
        idx = (steps + time_idx + offsets) % L  # (T, N)
        time_idx += T
        x, t = xs[idx], ts[idx]
        state = detach(state)
        model.zero_grad(set_to_none=True)
        logits, state = model(x, state)  # (T, N, V)
        loss = F.cross_entropy(logits.view(-1, V), t.view(-1))
        loss.backward()
        if max_grad is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad)
        optimizer.step()

    t0 = time.perf_counter()
    warm = 0
    while warm < warmup or (time.perf_counter() - t0 < 0.5 and warm < 10000):
        step()
        warm += 1
    times = []
    for _ in range(iters):
        s = time.perf_counter()
        step()
        times.append((time.perf_counter() - s) * 1e3)
    ms = statistics.median(times)
    return {"config": name, "iters": iters, "warmup": warm, "V": V,
            "data": "ptb" if data_dir else "random", "ms_per_iter": round(ms, 3),
            "ms_per_iter_min": round(min(times), 3), "tokens_per_sec": round(N * T / ms * 1e3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "loadavg": [round(x, 2) for x in os.getloadavg()]}


def main():
    p = argparse.ArgumentParser(description="Time PyTorch's CPU training step for rnnlab's configurations.")
    p.add_argument("--data-dir", help="PTB folder (ptb.train.txt); without it, random token ids")
    p.add_argument("--iters", type=int, help="iterations timed (default: per configuration)")
    p.add_argument("--warmup", type=int, default=5, help="warm-up iterations, at least 0.5 s (5)")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (2)")
    p.add_argument("--openblas-threads", type=int, default=1,
                   help="OPENBLAS_NUM_THREADS, set before torch loads (1)")
    p.add_argument("--json", action="store_true", help="one JSON object per configuration")
    p.add_argument("configs", nargs="*", default=list(CONFIGS), help=" ".join(CONFIGS))
    a = p.parse_args()
    bad = [c for c in a.configs if c not in CONFIGS]
    if bad:
        sys.exit("unknown configuration %s; choose from %s" % (", ".join(bad), ", ".join(CONFIGS)))
    if a.iters is not None and a.iters < 1 or a.warmup < 0 or a.threads < 1 or a.openblas_threads < 1:
        sys.exit("--iters, --threads and --openblas-threads must be >= 1, --warmup >= 0")
    if a.data_dir and not os.path.isfile(os.path.join(a.data_dir, "ptb.train.txt")):
        sys.exit("%s has no ptb.train.txt; give PTB's folder or leave --data-dir out" % a.data_dir)
    os.environ["OPENBLAS_NUM_THREADS"] = str(a.openblas_threads)
    try:
        import torch
    except ImportError:
        sys.exit("%s has no PyTorch: apt-get install -y python3-torch (for /usr/bin/python3)"
                 % sys.executable)
    torch.set_num_threads(a.threads)
    described, info = blas(torch)
    header = {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": described,
              "openblas": info, "python": sys.executable}
    if not a.json:
        print("torch %s, %d thread(s), %s" % (torch.__version__, torch.get_num_threads(), described))
    for c in a.configs:
        r = run(c, torch, a.data_dir, a.iters, a.warmup)
        if a.json:
            print(json.dumps({**r, **header}), flush=True)
        else:
            print("%-12s %9.3f ms/iter (min %.3f)  %8d tokens/s  peak RSS %.0f MB" % (
                c, r["ms_per_iter"], r["ms_per_iter_min"], r["tokens_per_sec"], r["peak_rss_mb"]),
                flush=True)


if __name__ == "__main__":
    main()
