"""A random generator for the GPU whose whole state is two integers, so that checkpoints can save
it and a resumed run draws exactly the numbers an uninterrupted one would have drawn.

CuPy's own generators keep their state as cuRAND states in device memory, with no public way to
read or restore it. So draw number k comes from a fresh counter-based generator (Philox, cheap
to start) seeded with (seed, k): the state is just (seed, k).
"""

import numpy


class CountedStreams:
    """NumPy Generator-like methods (standard_normal, random, integers, permutation) on `xp`."""

    def __init__(self, xp, seed=None):
        self.xp = xp
        self.seed = int(numpy.random.SeedSequence(seed).entropy)
        self.draws = 0

    def _next(self):
        random = self.xp.random
        philox = getattr(random, "Philox4x3210", None) or random.Philox  # NumPy's name for it
        bits = philox([self.seed, self.draws])
        self.draws += 1
        return self.xp.random.Generator(bits)

    def standard_normal(self, size=None, dtype="float64"):
        return self._next().standard_normal(size, dtype=dtype)

    def random(self, size=None, dtype="float64"):
        return self._next().random(size, dtype=dtype)

    def integers(self, low, high=None, size=None):
        return self._next().integers(low, high, size=size)

    def permutation(self, n):
        """0..n-1 in random order (CuPy's Generator has no permutation)."""
        return self._next().random(n).argsort()

    def state(self):
        """JSON-friendly: the seed and how many draws were made."""
        return {"kind": "counted-philox", "seed": self.seed, "draws": self.draws}

    def set_state(self, state):
        if not isinstance(state, dict) or state.get("kind") != "counted-philox":
            raise ValueError("this checkpoint's random state was saved by another backend; "
                             "resume it with the backend it was trained on")
        self.seed, self.draws = int(state["seed"]), int(state["draws"])
