"""`python -m flowc`: the command line."""

from .cli import main

raise SystemExit(main())
