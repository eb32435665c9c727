"""Entry point: `python -m dcmcheck [--root DIR] [--verbose]` (see scripts/check-deploy)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import (compose, containerfile, docs, examples, kubernetes, quadlet, selftest, settings, suiteprofile,
               yamlfiles)
from .context import Context, default_cache
from .runner import Runner


def main() -> int:
    parser = argparse.ArgumentParser(prog="check-deploy", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[3])
    parser.add_argument("--cache", type=Path, default=default_cache())
    parser.add_argument("--verbose", action="store_true", help="print tracebacks of broken checks")
    parser.add_argument("--skip-suite-profile", action="store_true",
                        help="do not run the compose suite profile on the host (needs nats-server; about a minute)")
    parser.add_argument("--self-test", action="store_true",
                        help="also break the deploy files on purpose, in a scratch copy, and require each breakage to be caught")
    args = parser.parse_args()
    ctx = Context(args.root.resolve(), args.cache)
    runner = Runner(verbose=args.verbose)
    for module in (settings, yamlfiles, containerfile, compose, kubernetes, quadlet, examples, docs):
        runner.run_all(module.checks(ctx))
    if not args.skip_suite_profile:
        runner.run_all(suiteprofile.checks(ctx))
    if args.self_test:
        runner.run_all(selftest.checks(ctx))
    print(runner.summary())
    return 1 if runner.failed else 0


if __name__ == "__main__":
    sys.exit(main())
