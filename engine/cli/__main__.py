"""`python -m engine.cli`: the command line without the desktop launcher."""

from engine.cli.commands import main

raise SystemExit(main())
