"""Where Loa's templates, static files and migrations are: beside the `app` package in a checkout
(and an editable install), under <prefix>/share/loa when Loa is installed from its wheel."""
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
ROOT = CHECKOUT if (CHECKOUT / "templates").is_dir() else Path(sys.prefix) / "share" / "loa"
