"""Run the tutorials' code, lesson by lesson, and check what it prints against the lesson.

Every ```python block of a lesson runs, in order, in one namespace, in a fresh process per
lesson (```python solution blocks, the exercises' reference solutions, run too). A block that
prints must be followed by an ```output block showing what it prints; the runner compares the
two: text exactly, numbers with a tolerance (see `compare`).

    python tutorials/run.py              # every lesson; regenerates tutorials/figures/*.png
    python tutorials/run.py 05 07        # lessons 05 and 07 only
    python tutorials/run.py 05 --out DIR # run in DIR (figures land in DIR/figures)
    python tutorials/run.py 05 --record  # write what the code prints into the output blocks

An output block's info string may carry options: ```output rtol=0.05 (numbers within 5%),
atol=1e-3, or machine-dependent (every number compared only in form: a timing table). A number
followed by a unit of time (ns, us, ms, s) or a speed-up (3.1x) is always compared only in
form. In an output block, "..." within a line stands for any text (what a machine has
installed, say), and a line that is just "..." for any number of lines. --record rewrites only
the output blocks that no longer match, so their "..." and options stay.

A lesson writes its figures to figures/NAME.png relative to the folder it runs in; figures
under figures/long/ come from longer trainings that the lessons document as commands, and
this runner does not make them. A figure of timings is marked in its lesson with
<!-- machine-dependent figure: figures/NAME.png -->: the tests check that it is redrawn, but do
not compare it with the committed one.
"""

import argparse
import contextlib
import io
import math
import os
import pathlib
import re
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
FIGURE = re.compile(r"!\[[^\]]*\]\((figures/[^)]+\.png)\)")
MACHINE_DEPENDENT_FIGURE = re.compile(r"<!-- machine-dependent figure: (figures/\S+\.png) -->")
NUMBER = re.compile(r"[-+]?(?:nan|inf|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")
TIMING = re.compile(r"\s?(?:ns|us|µs|ms|s)\b|x\b")
DEFAULT_RTOL = 1e-4
ROUNDING_LEVEL = 1e-9  # below this, a number is a rounding error: checked for its magnitude


class Block:
    """A fenced block: its kind (python, solution, output, other), options and place."""

    def __init__(self, match):
        words = match.group(1).split()
        self.info, self.text = match.group(1).strip(), match.group(2)
        self.start, self.end = match.start(), match.end()
        self.body_start, self.body_end = match.start(2), match.end(2)
        language = words[0] if words else ""
        if language == "python":
            self.kind = "solution" if "solution" in words[1:] else "python"
        else:
            self.kind = "output" if language == "output" else "other"
        self.options = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        self.machine_dependent = "machine-dependent" in words[1:]


def lessons():
    """The lesson files, in order: NN-name.md."""
    return sorted(path for path in HERE.glob("[0-9][0-9]-*.md"))


def blocks(text):
    """Every fenced block of a lesson, in order."""
    return [Block(m) for m in FENCE.finditer(text)]


def code_blocks(path):
    return [b.text for b in blocks(path.read_text()) if b.kind in ("python", "solution")]


def runnable(text):
    """(code block, its output block or None), for every python block of a lesson text."""
    found = blocks(text)
    pairs = []
    for k, block in enumerate(found):
        if block.kind not in ("python", "solution"):
            continue
        following = found[k + 1] if k + 1 < len(found) else None
        if following is not None and following.kind == "output":
            if text[block.end:following.start].strip():
                raise ValueError(f"an output block must follow its python block directly "
                                 f"(prose between them, at offset {following.start})")
            pairs.append((block, following))
        else:
            pairs.append((block, None))
    return pairs


def figures(path, include_long=False):
    """The figures a lesson shows (those its own code makes, unless include_long)."""
    found = FIGURE.findall(path.read_text())
    return [f for f in found if include_long or not f.startswith("figures/long/")]


def machine_dependent_figures(path):
    """Figures that show this machine's timings: redrawn and checked to exist, not compared."""
    return MACHINE_DEPENDENT_FIGURE.findall(path.read_text())


def _split(line):
    """A line as (text pieces, spaces collapsed; numbers with a flag: compared only in form)."""
    pieces, numbers, last = [], [], 0
    for m in NUMBER.finditer(line):
        if m.start() > 0 and (line[m.start() - 1].isalpha() or line[m.start() - 1] == "_"):
            continue  # a digit inside a name (float32, conv2d) is text
        pieces.append(" ".join(line[last:m.start()].split()))
        numbers.append((m.group(), bool(TIMING.match(line, m.end()))))
        last = m.end()
    pieces.append(" ".join(line[last:].split()))
    return pieces, numbers


def numbers_agree(expected, actual, rtol, atol):
    """Within atol + rtol |expected|; a rounding-level number only within a factor of 10."""
    a, b = float(actual), float(expected)
    if math.isnan(b) or math.isinf(b):
        return expected.lstrip("+") == actual.lstrip("+")
    if "." not in expected and "e" not in expected.lower() and "." not in actual:
        return a == b  # integers: counts, shapes, steps
    if abs(a - b) <= atol + rtol * abs(b):
        return True
    if a == 0 or b == 0:  # an exact zero on one machine may be a last-bit error on another
        return max(abs(a), abs(b)) < ROUNDING_LEVEL * 1e-3
    if abs(b) < ROUNDING_LEVEL:
        return a * b > 0 and abs(math.log10(abs(a) / abs(b))) <= 1
    return False


def compare(expected, actual, options=None, machine_dependent=False):
    """The differences between an output block and what its code printed, as messages."""
    options = options or {}
    rtol = float(options.get("rtol", DEFAULT_RTOL))
    atol = float(options.get("atol", 0.0))
    want, got = expected.rstrip("\n").split("\n"), actual.rstrip("\n").split("\n")
    if "..." in want and len(got) >= len(want) - 1:  # a line "..." stands for any lines
        cut = want.index("...")
        head, tail = want[:cut], want[cut + 1:]
        want, got = head + tail, got[:len(head)] + (got[len(got) - len(tail):] if tail else [])
    if len(want) != len(got):
        return [f"the lesson shows {len(want)} lines, the code printed {len(got)}"]
    problems = []
    for number, (w, g) in enumerate(zip(want, got), start=1):
        if "..." in w:  # the lesson elides what depends on the machine: match the rest
            pattern = ".*".join(re.escape(" ".join(part.split())) for part in w.split("..."))
            if not re.fullmatch(pattern, " ".join(g.split())):
                problems.append(f"line {number}:\n    lesson: {w}\n    code:   {g}")
            continue
        (w_text, w_numbers), (g_text, g_numbers) = _split(w.rstrip()), _split(g.rstrip())
        same = w_text == g_text and len(w_numbers) == len(g_numbers) and all(
            machine_dependent or timing or numbers_agree(x, y, rtol, atol)
            for (x, timing), (y, _) in zip(w_numbers, g_numbers))
        if not same:
            problems.append(f"line {number}:\n    lesson: {w}\n    code:   {g}")
    return problems


def run_lesson(path, record=False):
    """Execute one lesson's blocks in this process; compare (or record) what each prints.

    Returns the list of mismatches; raises with the block number if a block fails."""
    text = path.read_text()
    namespace = {"__name__": "__main__"}
    os.makedirs("figures", exist_ok=True)
    problems, edits = [], []
    for number, (block, shown) in enumerate(runnable(text), start=1):
        started, captured = time.perf_counter(), io.StringIO()
        try:
            with contextlib.redirect_stdout(captured):
                exec(compile(block.text, f"{path.name} (python block {number})", "exec"),
                     namespace)
        except Exception as error:
            raise RuntimeError(f"{path.name}: python block {number} failed: "
                               f"{type(error).__name__}: {error}") from error
        printed = captured.getvalue()
        print(printed, end="")
        print(f"  [block {number}: {time.perf_counter() - started:.1f} s]")
        where = f"{path.name}, python block {number} (line {text.count(chr(10), 0, block.start) + 1})"
        if record:  # rewrite only what no longer matches (keep a block's "..." and options)
            if shown is None or compare(shown.text, printed, shown.options,
                                        shown.machine_dependent):
                edits.append((block, shown, printed))
        elif shown is None and printed:
            problems.append(f"{where} prints, but no ```output block follows it")
        elif shown is not None and not printed:
            problems.append(f"{where} prints nothing, but an ```output block follows it")
        elif shown is not None:
            problems += [f"{where}: {p}" for p in
                         compare(shown.text, printed, shown.options, shown.machine_dependent)]
    if record:
        path.write_text(_recorded(text, edits))
    return problems


def _recorded(text, edits):
    """The lesson text with each block's printed output written into its output block."""
    for block, shown, printed in reversed(edits):
        if shown is not None and printed:
            text = text[:shown.body_start] + printed.rstrip("\n") + "\n" + text[shown.body_end:]
        elif shown is not None:
            text = text[:block.end] + text[shown.end:]
        elif printed:
            text = text[:block.end] + "\n\n```output\n" + printed.rstrip("\n") + "\n```" + \
                text[block.end:]
    return text


def figure_difference(made, committed, size=32):
    """Mean absolute difference of two images' grey thumbnails, in [0, 1] (1 if sizes differ)."""
    import cv2
    a, b = (cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in (made, committed))
    if a is None or b is None or a.shape != b.shape:
        return 1.0
    a, b = (cv2.resize(x, (size, size), interpolation=cv2.INTER_AREA) / 255.0 for x in (a, b))
    return float(abs(a - b).mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lessons", nargs="*", help="lesson numbers (default: all)")
    parser.add_argument("--out", default=str(HERE), help="where to run (default: tutorials/)")
    parser.add_argument("--record", action="store_true",
                        help="write what each block prints into the lesson's output blocks")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run this file here
    arguments = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    if arguments.one:
        os.makedirs(arguments.out, exist_ok=True)
        os.chdir(arguments.out)
        problems = run_lesson(pathlib.Path(arguments.one), arguments.record)
        for problem in problems:
            print(f"OUTPUT DIFFERS: {problem}", file=sys.stderr)
        return 3 if problems else 0
    chosen = [p for p in lessons() if not arguments.lessons
              or p.name.split("-")[0] in arguments.lessons]
    if not chosen:
        print(f"no lesson matches {arguments.lessons}", file=sys.stderr)
        return 2
    failed = []
    for path in chosen:
        print(f"{path.name}")
        started = time.perf_counter()
        result = subprocess.run([sys.executable, __file__, "--one", str(path), "--out",
                                 arguments.out] + (["--record"] if arguments.record else []))
        print(f"  {'ok' if result.returncode == 0 else 'FAILED'} in "
              f"{time.perf_counter() - started:.1f} s")
        if result.returncode:
            failed.append(path.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
