"""The text table that python -m minigan.evaluate prints: one row per image set, the class
histograms, and what every column means."""

ROWS = {"generated": "generated", "real_vs_real": "real vs real", "noise": "noise"}
LEGEND = {
    "fd": "Frechet distance between Gaussians fitted to the features of these and of real "
          "images: 0 = same mean and covariance. Lower is better. Biased upwards for small "
          "sets: compare at equal --n",
    "kid": "KID: unbiased squared MMD (cubic polynomial kernel) in the same features, "
           "mean and std over subsets. 0 = same distribution; small negatives are noise. Lower "
           "is better",
    "precision": "share of these samples inside the real set's 3-NN balls: fidelity. Higher is "
                 "better",
    "recall": "share of real samples inside these samples' 3-NN balls: diversity, mode "
              "coverage. Higher is better",
    "confident": "share of samples the classifier labels with probability >= 0.9: "
                 "recognisable digits. Higher is better",
    "classes": "digits that get at least 1% of the samples: 10 = every digit appears",
    "kl": "KL divergence of the class histogram to uniform, in nats: 0 = balanced, "
          "log 10 = 2.30 = a single digit. Lower is better",
    "d_accuracy": "the run's discriminator telling real from these images (balanced accuracy,"
                  " threshold halfway between the two sets' median scores): 0.5 = fooled, "
                  "1.0 = never fooled. Lower is better. The real images may be ones it trained "
                  "on (the GAN trains on all of its data)",
    "images_per_second": "generator speed: images per second, in batches of 250",
}


def _number(value):
    """Two decimals, or three significant digits below 1; no exponents up to 10^12."""
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.2f}" if abs(value) >= 1 \
        else f"{value:.3g}"


def _with_spread(row, key):
    spread = row.get(f"{key}_std")
    return _number(row[key]) + ("" if spread is None else f" +- {_number(spread)}")


COLUMNS = [  # (key, title, width, the cell of a row)
    ("fd", "FD", 9, lambda row: _with_spread(row, "fd")),
    ("kid", "KID", 17, lambda row: f"{_number(row['kid'])} +- {_number(row['kid_std'])}"),
    ("precision", "precision", 10, lambda row: f"{row['precision']:.3f}"),
    ("recall", "recall", 7, lambda row: f"{row['recall']:.3f}"),
    ("confident", "confident", 10, lambda row: f"{row['confident']:.3f}"),
    ("classes", "classes", 8, lambda row: str(row["classes"])),
    ("kl", "KL", 6, lambda row: f"{row['kl']:.3f}"),
    ("d_accuracy", "D acc", 6, lambda row: f"{row['d_accuracy']:.3f}"),
    ("images_per_second", "img/s", 8, lambda row: f"{row['images_per_second']:.0f}"),
]


def _count(row):
    draws = len(row.get("fd_draws", ()))
    return f"{draws} x {row['count']}" if draws > 1 else str(row["count"])


def format_table(result):
    """The rows as a text table, the class histograms, and the legend of the columns shown."""
    rows = result["rows"]
    shown = [(key, "FCD" if key == "fd" and result["features"] == "classifier" else title,
              width, cell) for key, title, width, cell in COLUMNS
             if any(row.get(key) is not None for row in rows.values())]
    labels = {name: f"{ROWS[name]} ({_count(row)} vs {row['reference_count']})"
              for name, row in rows.items()}
    label_width = max(len(label) for label in labels.values())
    cells = {name: [cell(row) if row.get(key) is not None else "-"
                    for key, _, _, cell in shown] for name, row in rows.items()}
    widths = [max([width] + [len(row_cells[column]) for row_cells in cells.values()])
              for column, (_, _, width, _) in enumerate(shown)]
    lines = [" ".join([" " * label_width] + [title.rjust(width) for (_, title, _, _), width
                                             in zip(shown, widths)])]
    for name, row_cells in cells.items():
        lines.append(" ".join([labels[name].ljust(label_width)]
                              + [text.rjust(width) for text, width in zip(row_cells, widths)]))
    if "histogram" in rows["generated"]:
        lines += ["", "class histogram (share of samples per digit 0..9):"]
        for name, row in rows.items():
            shares = " ".join(f"{share:.2f}" for share in row["histogram"])
            lines.append(f"  {ROWS[name].ljust(12)} {shares}")
    lines += ["", "what the columns mean:"]
    lines += [f"  {title:<10} {LEGEND[key]}" for key, title, _, _ in shown]
    lines += ["", "real vs real: half of the real images against the other half, the best score "
              "at this size; noise: uniform random pixels, the worst.",
              "note: " + result["note"]]
    lines += [f"note: {note}" for note in result.get("notes", [])]
    return "\n".join(lines)
