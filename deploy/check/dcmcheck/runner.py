"""Runs named checks and reports them.

A check is a function that returns a list of problems (strings); an empty
list is a pass. An exception inside a check is a failure that names the
exception, never a crash of the whole run.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    """One named check. `run` returns the problems found (empty: pass)."""

    name: str
    run: Callable[[], list[str]]


class Runner:
    """Executes checks in order, prints one line per check, counts results."""

    def __init__(self, verbose: bool = False) -> None:
        self.passed = 0
        self.failed = 0
        self.verbose = verbose

    def run_all(self, checks: Iterable[Check]) -> None:
        for check in checks:
            try:
                problems = check.run()
            except Exception as error:  # a broken check is a failed check
                problems = [f"check raised {type(error).__name__}: {error}"]
                if self.verbose:
                    problems.append(traceback.format_exc())
            if problems:
                self.failed += 1
                print(f"FAIL {check.name}")
                for problem in problems:
                    for line in str(problem).splitlines():
                        print(f"     {line}")
            else:
                self.passed += 1
                print(f"PASS {check.name}")

    def summary(self) -> str:
        return f"check-deploy: {self.passed} passed, {self.failed} failed"
