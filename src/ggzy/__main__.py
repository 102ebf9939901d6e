"""The ``ggzy`` command: Django's manage.py plus the platform's own commands.

ggzy migrate            # any Django management command
ggzy demo               # load the deterministic demo data set (once)
ggzy serve              # serve on http://127.0.0.1:8000
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in and args_in[0] == "bidkit":  # the bidder's offline tool: no Django, no database
        from ggzy.bidkit.cli import main as bidkit

        raise SystemExit(bidkit(args_in[1:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ggzy.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["ggzy", *argv])
    args[0] = "ggzy"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
