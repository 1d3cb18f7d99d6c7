"""``python -m zjplan`` is the ``zjplan`` command."""

from .cli import main

raise SystemExit(main())
