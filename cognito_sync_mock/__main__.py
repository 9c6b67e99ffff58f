"""``python -m cognito_sync_mock serve``: the same command line as ``cognito-sync-mock``."""

from .cli import main

raise SystemExit(main())
