"""Allow ``python -m detector``."""

from detector.cli import main

raise SystemExit(main())
