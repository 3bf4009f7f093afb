# Which OpenBLAS this Python process has loaded, its kernel family and thread count, for the peer
# benchmarks (bench/book_numpy.py, bench/torch_peer.py) to record next to their timings.
#
# NumPy's wheels bundle their own OpenBLAS with prefixed symbols (scipy_openblas_get_config64_),
# Debian's NumPy and PyTorch load the system's libopenblas.so.0, and a PyTorch built on MKL loads
# none: so the library is found among the process's mapped files, not by name.


PREFIXES = ("openblas_", "scipy_openblas_")
SUFFIXES = ("", "64_", "_64_")


def loaded_openblas():
    """The path of the first OpenBLAS library mapped into this process, or None."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                name = path.rsplit("/", 1)[-1]
                if "openblas" in name and ".so" in name:
                    return path
    except OSError:
        pass
    return None


def _symbol(lib, stem):
    # scipy_openblas's symbols put the suffix after the stem: scipy_openblas_get_config64_.
    for prefix in PREFIXES:
        for suffix in SUFFIXES:
            fn = getattr(lib, prefix + stem + suffix, None)
            if fn is not None:
                return fn
    return None


def openblas_info():
    """{"library", "config", "core", "threads"} of the loaded OpenBLAS, or None when none is."""
    import ctypes

    path = loaded_openblas()
    if path is None:
        return None
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return None
    info = {"library": path, "config": None, "core": None, "threads": None}
    for key, stem, restype in (("config", "get_config", ctypes.c_char_p),
                               ("core", "get_corename", ctypes.c_char_p),
                               ("threads", "get_num_threads", ctypes.c_int)):
        fn = _symbol(lib, stem)
        if fn is not None:
            fn.restype = restype
            value = fn()
            info[key] = value.decode().strip() if isinstance(value, bytes) else value
    return info
