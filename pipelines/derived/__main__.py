"""`python -m pipelines.derived`: write the dbt files the contracts determine (make runs it before dbt parse).

    python -m pipelines.derived [--contracts DIR] [--dbt-project DIR] [--check] [--stamp FILE]

`--check` writes nothing and fails when the derived files are not what the contracts determine; `--stamp` touches
FILE when a derived file changed (or FILE is missing), so `make` re-parses the dbt project only then.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines import settings
from pipelines.derived.dbt_files import DERIVED_FOLDER, derived_files, stale_files, write_derived_files
from pipelines.ingestion.contracts import ContractError, read_contracts


def generate(contracts_dir: Path, dbt_project_dir: Path) -> list[str]:
    contracts = list(read_contracts(contracts_dir).values())
    files = derived_files(contracts, dbt_project_dir / "seeds")
    return write_derived_files(files, dbt_project_dir / DERIVED_FOLDER)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.derived", description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=Path, default=settings.CONTRACTS_DIR)
    parser.add_argument("--dbt-project", type=Path, default=settings.DBT_PROJECT_DIR)
    parser.add_argument("--check", action="store_true", help="fail when the derived files are out of date")
    parser.add_argument("--stamp", type=Path, help="touch this file when a derived file changed")
    args = parser.parse_args(argv)
    try:
        if args.check:
            contracts = list(read_contracts(args.contracts).values())
            stale = stale_files(derived_files(contracts, args.dbt_project / "seeds"),
                                args.dbt_project / DERIVED_FOLDER)
            if stale:
                print("Derived dbt files out of date (run make): " + ", ".join(stale), file=sys.stderr)
                return 1
            return 0
        changed = generate(args.contracts.resolve(), args.dbt_project)
    except ContractError as error:
        print(f"Contract error: {error}", file=sys.stderr)
        return 2
    if changed:
        print(f"Derived from contracts: {len(changed)} file(s) changed under {args.dbt_project / DERIVED_FOLDER}")
    if args.stamp and (changed or not args.stamp.exists()):
        args.stamp.parent.mkdir(parents=True, exist_ok=True)
        args.stamp.touch()
    return 0


if __name__ == "__main__":
    sys.exit(main())
