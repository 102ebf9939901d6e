"""``python -m ggzy.bidkit …`` — the same as ``ggzy bidkit …``."""

from __future__ import annotations

import sys

from ggzy.bidkit.cli import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
