"""What every command line does with an error: one line on stderr that says what went wrong
and what to do, never a Python traceback for a user's mistake (`--debug` shows it)."""

import argparse
import errno
import sys

from ..backend import BackendUnavailable

USER_ERRORS = (ValueError, FileNotFoundError, NotADirectoryError, IsADirectoryError,
               PermissionError, FileExistsError, BackendUnavailable, MemoryError)


def describe(error):
    """The one line that explains `error` to the person at the command line."""
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        where = f" while writing {error.filename}" if error.filename else ""
        return (f"no space left on the disk{where}: free some space and run the command again "
                "(a run continues with --resume DIR); the files already written are intact")
    if isinstance(error, MemoryError):
        return ("out of memory: try a smaller --batch-size, --width or --image-size (or --n "
                "when sampling)")
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        return f"{error.strerror}{where}"
    if isinstance(error, USER_ERRORS):
        first, *more = (str(error).strip() or type(error).__name__).splitlines()
        more = "; ".join(" ".join(line.split()) for line in more if line.strip())
        return f"{first.rstrip(':')}: {more}" if more else first
    first_line = (str(error).splitlines() or [""])[0]
    return (f"unexpected {type(error).__name__}: {first_line} (please report it; run again "
            "with --debug to see where)")


def guarded(body, debug=False, report=None):
    """body()'s exit status; an error becomes one line on stderr and status 2 for a user's
    mistake or an OSError, 1 for anything unexpected; Ctrl-C is status 130. With `debug`
    the error propagates, traceback and all. `report(message, status)` prints instead of
    the default (a distributed run's prints once and ends every rank)."""
    report = report or _print
    try:
        return body()
    except KeyboardInterrupt:
        return report(None, 130)
    except Exception as error:
        if debug:
            raise
        return report(f"error: {describe(error)}",
                      2 if isinstance(error, USER_ERRORS + (OSError,)) else 1)


def _print(message, status):
    if message:
        print(message, file=sys.stderr)
    return status


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser, whose usage errors are one line too (and exit with status 2)."""

    def error(self, message):
        print(f"error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)
