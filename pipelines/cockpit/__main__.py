"""`python -m pipelines.cockpit [--open]`: build the cockpit from the current published snapshot unless it shows that
snapshot already, print its path, and open it in a browser with --open when one is at hand."""

from __future__ import annotations

import argparse
import sys
import webbrowser

from pipelines import settings
from pipelines.cockpit.site import build_cockpit, is_current


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.cockpit", description=__doc__)
    parser.add_argument("--open", action="store_true", help="open the page in the default browser")
    args = parser.parse_args(argv)
    index = settings.cockpit_dir() / "index.html"
    serving = settings.serving_path()
    if not serving.exists():
        print(f"Nothing is published yet ({serving} is missing): run `make demo` first.", file=sys.stderr)
        return 1
    if not index.exists() or not is_current():
        summary = build_cockpit()
        print(f"Built the cockpit of snapshot {summary['snapshot_id']}.")
    print(f"Cockpit: {index}")
    if args.open and not webbrowser.open(index.as_uri()):
        print("No browser to open it here: open the file above in one.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
