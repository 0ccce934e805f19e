"""python -m minigan.pytorch SCRIPT [ARGS...]: run an unmodified PyTorch program on minigan."""

import os
import re
import runpy
import sys
import textwrap
import traceback

import minigan

from . import MAPPED, SHIMMED_TOP_LEVEL, install
from .shim import ModuleNotInMinigan, NotInMinigan

# errors that minigan raises about how it was called: one line, unless MINIGAN_TRACEBACK=1
_MISUSE = (ValueError, TypeError, RuntimeError, OSError, KeyError, IndexError)
_PACKAGE = os.path.dirname(os.path.abspath(minigan.__file__))

HELP = """usage: python -m minigan.pytorch SCRIPT [ARGS...]

Run the PyTorch program SCRIPT, unchanged, on minigan: `import torch` and `import torchvision`
load minigan's stand-ins (even where PyTorch is installed), then SCRIPT runs as __main__ with
ARGS as its sys.argv[1:].

What is mapped:
{mapped}

Devices: "cpu" is minigan's NumPy backend, "cuda" (or "cuda:0") its CuPy backend, wherever a
device is accepted (torch.device, device=, .to(), .cuda(), .cpu()); torch.cuda.is_available()
is True only where CuPy runs. torch.save/torch.load write and read safetensors files (state
dicts, tensors, and dicts/lists of them with numbers and strings), never pickles: a whole
nn.Module cannot be saved, save its state_dict(). The DataLoader runs in this process
(num_workers and pin_memory are accepted and ignored). torchvision.datasets.MNIST never
downloads: it reads IDX files under its root, else uses minigan's bundled MNIST-5k.

What is not: any other name. It fails with one line that names it, e.g.
  torch.nn.Transformer is not part of minigan
and so do other torch.* modules (torch.distributed, torch.jit, torch.cuda.amp, ...),
torchaudio and torchtext. PIL images are not used: images are (H, W, C) uint8 arrays until
ToTensor. Not mapped either: multi-GPU (DataParallel), mixed precision, sparse and complex
tensors, JIT/compile, TensorBoard, custom autograd Functions with several outputs.

An error that minigan raises about how it was called (a shape, a missing file) is printed as
one line with the script's line; MINIGAN_TRACEBACK=1 shows the whole traceback instead. Errors
raised by the script's own code keep their traceback.
"""


def _help():
    width = max(len(name) for name in MAPPED)
    rows = [textwrap.fill(what, 96, initial_indent=f"  {name:<{width}}  ",
                          subsequent_indent=" " * (width + 4))
            for name, what in MAPPED.items()]
    return HELP.format(mapped="\n".join(rows))


def _missing_name(error):
    """The PyTorch name a failed import or lookup was after, or None for other errors."""
    if isinstance(error, (NotInMinigan, ModuleNotInMinigan)):
        return error.torch_name
    if isinstance(error, ImportError) and (error.name or "").partition(".")[0] in \
            SHIMMED_TOP_LEVEL:
        found = re.search(r"cannot import name '([^']+)'", str(error))
        if found:
            return f"{error.name}.{found.group(1)}"
    return None


def _where_in(script, error):
    """' (at script.py:12)' for the deepest frame of the traceback inside the script."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if os.path.abspath(frame.filename) == os.path.abspath(script)]
    return f" (at {script}:{frames[-1].lineno})" if frames else ""


def _raised_by_minigan(error):
    """True when the innermost frame of the error's traceback is in minigan's code."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and os.path.abspath(frames[-1].filename).startswith(_PACKAGE + os.sep)


def run(script, args):
    """Run `script` as __main__ with `args`; returns the exit status."""
    if not os.path.isfile(script):
        print(f"error: no such script {script!r}; usage: python -m minigan.pytorch SCRIPT "
              "[ARGS...]", file=sys.stderr)
        return 2
    install()
    sys.argv = [script] + list(args)
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    try:
        runpy.run_path(script, run_name="__main__")
    except (AttributeError, ImportError) as error:
        name = _missing_name(error)
        if name is None:
            raise
        print(f"error: {name} is not part of minigan{_where_in(script, error)}", file=sys.stderr)
        return 1
    except _MISUSE as error:
        if os.environ.get("MINIGAN_TRACEBACK") == "1" or not _raised_by_minigan(error):
            raise
        print(f"error: {str(error) or type(error).__name__}{_where_in(script, error)}",
              file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(_help())
        return 0 if argv else 2
    return run(argv[0], argv[1:])


if __name__ == "__main__":
    sys.exit(main())
