"""The benchmark's outputs: a Markdown report and a chart."""

TARGETS = {  # the project's goals for this benchmark (see the benchmarks README)
    "step_vs_torch": 1.5, "step_moonshot": 1.2, "conv_vs_torch": 1.5, "vs_dezero": 2.5,
    "warm_start_seconds": 3.0, "gpu_step_vs_torch": 2.0, "gpu_speedup": 30.0,
}
CONV = "Conv2d(64, 128, 4, 2, 1) forward+backward"


def _ms(entry):
    if entry is None or "median" not in entry:
        return "-"
    if entry["high"] - entry["low"] > 1e-12:
        return f"{entry['median'] * 1e3:.2f} ({entry['low'] * 1e3:.2f}-{entry['high'] * 1e3:.2f})"
    return f"{entry['median'] * 1e3:.2f}"


def _ratio(results, case, a, b):
    x, y = results.get((case, a)), results.get((case, b))
    if not x or not y or "median" not in x or "median" not in y:
        return None
    return x["median"] / y["median"]


def _format_ratio(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}x"


def _cases(results, group):
    seen = []
    for case, _ in results:
        entry = next(v for (c, _), v in results.items() if c == case)
        if entry.get("group") == group and case not in seen:
            seen.append(case)
    return seen


def _gemm(results, framework):
    return next((v for (c, f), v in results.items() if f == framework and v["group"] == "gemm"),
                None)


def summary(results, frameworks):
    """The key ratios against the targets, as (what, measured, target, met) rows."""
    rows = []
    step = _ratio(results, "DCGAN-28 step", "minigan-numpy", "torch-cpu")
    if step is not None:
        rows.append(("DCGAN-28 training step, minigan NumPy / PyTorch CPU",
                     _format_ratio(step), f"<= {TARGETS['step_vs_torch']}x (moonshot "
                     f"{TARGETS['step_moonshot']}x)", step <= TARGETS["step_vs_torch"]))
    conv = _ratio(results, CONV, "minigan-numpy", "torch-cpu")
    if conv is not None:
        rows.append((f"{CONV}, minigan / PyTorch", _format_ratio(conv),
                     f"<= {TARGETS['conv_vs_torch']}x", conv <= TARGETS["conv_vs_torch"]))
    dezero = _ratio(results, CONV, "dezero-style", "minigan-numpy")
    if dezero is not None:
        rows.append((f"{CONV}, DeZero design / minigan", _format_ratio(dezero),
                     f">= {TARGETS['vs_dezero']}x", dezero >= TARGETS["vs_dezero"]))
    warm = results.get(("start to first step, warm Numba cache", "minigan-numpy"))
    if warm:
        rows.append(("start to first DCGAN-28 step, warm Numba cache", f"{warm['median']:.2f} s",
                     f"< {TARGETS['warm_start_seconds']} s",
                     warm["median"] < TARGETS["warm_start_seconds"]))
    ours = results.get(("DCGAN-28 peak memory", "minigan-numpy"))
    theirs = results.get(("DCGAN-28 peak memory", "torch-cpu"))
    if ours and theirs:
        rows.append(("DCGAN-28 run, peak resident memory (minigan / PyTorch)",
                     f"{ours['peak_rss_mib']:.0f} / {theirs['peak_rss_mib']:.0f} MiB",
                     "minigan <= PyTorch", ours["peak_rss_mib"] <= theirs["peak_rss_mib"]))
    gpu = _ratio(results, "DCGAN-64 step", "minigan-cupy", "torch-cuda")
    if gpu is not None:
        rows.append(("DCGAN-64 training step, minigan CuPy / PyTorch CUDA", _format_ratio(gpu),
                     f"<= {TARGETS['gpu_step_vs_torch']}x", gpu <= TARGETS["gpu_step_vs_torch"]))
    speedup = _ratio(results, "DCGAN-64 step", "minigan-numpy", "minigan-cupy")
    if speedup is not None:
        rows.append(("DCGAN-64 training step, minigan NumPy / minigan CuPy",
                     _format_ratio(speedup, 1), f">= {TARGETS['gpu_speedup']}x",
                     speedup >= TARGETS["gpu_speedup"]))
    return rows


def markdown(results, frameworks, info, skipped, rounds):
    lines = ["# minigan benchmark", "",
             f"Machine: {info['cpu']}, {info['cores']} cores, BLAS {info['blas']}, GPU: "
             f"{info['gpu'] or 'none'}. Python {info['python']}, NumPy {info['numpy']}, Numba "
             f"{info['numba']}, minigan {info['minigan']}, PyTorch {info['torch'] or '-'}, "
             f"CuPy {info['cupy'] or '-'}. {rounds} round(s); milliseconds per call, median "
             "(min-max of the rounds' medians).", ""]
    for framework, reason in skipped.items():
        lines.append(f"Not run: {framework} ({reason}).")
    if skipped:
        lines.append("")
    rows = summary(results, frameworks)
    if rows:
        lines += ["## Against the targets", "", "| what | measured | target | met |",
                  "|---|---|---|---|"]
        lines += [f"| {what} | {value} | {target} | {'yes' if met else 'no'} |"
                  for what, value, target, met in rows]
        lines.append("")
    timed = [f for f in frameworks if f != "dezero-style"]
    lines += ["## Training steps (batch 64, Adam, D and G updates)", "",
              "| step | " + " | ".join(f"{f} ms" for f in timed) + " | GFLOP | "
              + " | ".join(f"{f} % of GEMM peak" for f in timed) + " |",
              "|---" * (2 + 2 * len(timed)) + "|"]
    for case in _cases(results, "step"):
        flops = next((v.get("flops") for (c, f), v in results.items()
                      if c == case and v.get("flops")), None)
        cells = [_ms(results.get((case, f))) for f in timed]
        shares = []
        for f in timed:
            entry, gemm = results.get((case, f)), _gemm(results, f)
            if entry and gemm and flops:
                achieved = flops / entry["median"]
                shares.append(f"{100 * achieved / (gemm['flops'] / gemm['median']):.0f}%")
            else:
                shares.append("-")
        gflop = f"{flops / 1e9:.1f}" if flops else "-"
        lines.append(f"| {case} | " + " | ".join(cells) + f" | {gflop} | "
                     + " | ".join(shares) + " |")
    lines += ["", "## Layers at DCGAN shapes", "",
              "| layer | " + " | ".join(frameworks) + " | minigan / torch-cpu | "
              "numpy / cupy |", "|---" * (len(frameworks) + 3) + "|"]
    for case in _cases(results, "layer"):
        cells = [_ms(results.get((case, f))) for f in frameworks]
        lines.append(f"| {case} | " + " | ".join(cells) + " | "
                     + _format_ratio(_ratio(results, case, "minigan-numpy", "torch-cpu"))
                     + " | " + _format_ratio(_ratio(results, case, "minigan-numpy",
                                                    "minigan-cupy"), 1) + " |")
    kernels = _cases(results, "kernel")
    if kernels:
        kernel_frameworks = [f for f in frameworks if f.startswith("minigan")]
        lines += ["", "## im2col and col2im (64 images, 4x4 kernel, stride 2, padding 1)", "",
                  "| kernel | " + " | ".join(kernel_frameworks) + " |",
                  "|---" * (len(kernel_frameworks) + 1) + "|"]
        for case in kernels:
            lines.append(f"| {case} | " + " | ".join(_ms(results.get((case, f)))
                                                     for f in kernel_frameworks) + " |")
    lines += ["", "## Ceilings, memory and start-up", "", "| what | framework | value |",
              "|---|---|---|"]
    for (case, framework), entry in results.items():
        if entry["group"] == "gemm":
            lines.append(f"| {case} | {framework} | "
                         f"{entry['flops'] / entry['median'] / 1e9:.0f} GFLOP/s |")
        elif entry["group"] == "memory":
            device = (f", device {entry['peak_device_mib']:.0f} MiB"
                      if "peak_device_mib" in entry else "")
            lines.append(f"| {case} | {framework} | {entry['peak_rss_mib']:.0f} MiB resident"
                         f"{device} |")
        elif entry["group"] == "startup" and "median" in entry:
            lines.append(f"| {case} | {framework} | {entry['median']:.2f} s |")
    return "\n".join(lines) + "\n"


def chart(results, frameworks, path):
    """Two panels: minigan NumPy's time over PyTorch CPU's per case, and CuPy's speed-up over
    NumPy per case (when a GPU ran)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = [c for c in _cases(results, "step") + _cases(results, "layer")
             if _ratio(results, c, "minigan-numpy", "torch-cpu") is not None]
    gpu_cases = [c for c in _cases(results, "step") + _cases(results, "layer")
                 if _ratio(results, c, "minigan-numpy", "minigan-cupy") is not None]
    panels = 2 if gpu_cases else 1
    height = max(3.0, 0.28 * max(len(cases), len(gpu_cases), 1) + 1)
    figure, axes = plt.subplots(1, panels, figsize=(8 * panels, height), squeeze=False)
    axis = axes[0][0]
    if cases:
        ratios = [_ratio(results, c, "minigan-numpy", "torch-cpu") for c in cases]
        axis.barh(range(len(cases)), ratios, color=["tab:green" if r <= 1.5 else "tab:orange"
                                                    for r in ratios])
        axis.set_yticks(range(len(cases)), cases, fontsize=7)
        axis.set_xscale("log")
        axis.axvline(1.0, color="black", linewidth=0.8)
        axis.axvline(1.5, color="tab:red", linestyle="--", linewidth=0.8, label="1.5x target")
        axis.invert_yaxis()
        axis.set_xlabel("minigan NumPy+Numba time / PyTorch CPU time\n(log scale; lower is "
                        "better)")
        axis.legend(loc="lower right", fontsize=7)
    else:
        axis.text(0.5, 0.5, "PyTorch not measured", ha="center", va="center")
    if gpu_cases:
        axis = axes[0][1]
        speedups = [_ratio(results, c, "minigan-numpy", "minigan-cupy") for c in gpu_cases]
        axis.barh(range(len(gpu_cases)), speedups, color="tab:blue")
        axis.set_yticks(range(len(gpu_cases)), gpu_cases, fontsize=7)
        axis.set_xscale("log")
        axis.invert_yaxis()
        axis.set_xlabel("speed-up of minigan on CuPy over NumPy\n(log scale; higher is better)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
