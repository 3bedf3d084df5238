"""Top functions of a py-spy collapsed-stack file (``py-spy record -f raw``).

    python bench/pyspy_top.py profile.txt [--n 15]

Prints, per function, the share of samples in which it is on the stack (inclusive)
and at the top of the stack (self), the figures py-spy's ``top`` view shows.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

_FRAME = re.compile(r"^(?P<name>[^ ]+) \((?P<file>[^:]+)(?::\d+)?\)$")


def _short(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "src/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{match['name']} ({path})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile")
    parser.add_argument("--n", type=int, default=15)
    options = parser.parse_args()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    with open(options.profile, encoding="utf-8") as handle:
        for line in handle:
            stack, _, count_text = line.rstrip("\n").rpartition(" ")
            count = int(count_text)
            frames = [_short(frame) for frame in stack.split(";") if frame]
            if not frames or frames[0].startswith("process"):
                frames = frames[1:]
            if not frames:
                continue
            total += count
            own[frames[-1]] += count
            for frame in set(frames):
                inclusive[frame] += count
    print(f"{total} samples")
    print("self  %  | function")
    for frame, count in own.most_common(options.n):
        print(f"{100 * count / total:7.1f}  | {frame}")
    print("total %  | function")
    for frame, count in inclusive.most_common(options.n * 2):
        print(f"{100 * count / total:7.1f}  | {frame}")


if __name__ == "__main__":
    main()
