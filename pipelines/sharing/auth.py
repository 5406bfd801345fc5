"""Department tokens. The service keeps only the sha256 of each token (departments.yaml); the token is the
department's secret, kept in its own environment.

    python -m pipelines.sharing.auth new-token <department>   # a new random token and the hash to configure

A token is 32 random bytes (URL-safe base64), so a plain sha256 cannot be brute-forced. The demo tokens
`DEMO-token-<department>` are public and flagged: the service warns when one of them is configured.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import secrets

from pipelines.sharing.catalog import SharingConfig
from pipelines.sharing.config import Department

DEMO_TOKEN_PREFIX = "DEMO-token-"


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def authenticate(config: SharingConfig, authorization: str | None) -> Department | None:
    """The department whose token is the bearer token of an `Authorization` header, or None."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    presented = token_sha256(token.strip())
    for department in config.departments.values():
        if hmac.compare_digest(department.token_sha256, presented):
            return department
    return None


def departments_with_demo_tokens(config: SharingConfig) -> list[str]:
    return [code for code, department in config.departments.items()
            if department.token_sha256 == token_sha256(DEMO_TOKEN_PREFIX + code)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipelines.sharing.auth", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    new = commands.add_parser("new-token", help="print a new random token and the sha256 to put in departments.yaml")
    new.add_argument("department")
    args = parser.parse_args(argv)
    token = secrets.token_urlsafe(32)
    print(f"token (give it to the department, keep it out of the repo): {token}")
    print(f"departments.yaml, department '{args.department}':  token_sha256: {token_sha256(token)}")


if __name__ == "__main__":
    main()
