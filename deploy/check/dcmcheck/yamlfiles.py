"""yamllint over every YAML file under deploy/."""

from __future__ import annotations

from pathlib import Path

from yamllint import linter
from yamllint.config import YamlLintConfig

from .context import Context
from .runner import Check


def yaml_files(ctx: Context) -> list[Path]:
    return sorted(p for p in ctx.deploy.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def checks(ctx: Context) -> list[Check]:
    config = YamlLintConfig(file=str(ctx.deploy / "check" / "yamllint.yaml"))

    def lint(path: Path) -> list[str]:
        text = path.read_text(encoding="utf-8")
        return [f"{ctx.rel(path)}:{p.line}:{p.column}: {p.level}: {p.desc} ({p.rule})"
                for p in linter.run(text, config, str(path))]

    return [Check(f"yamllint: {ctx.rel(path)}", lambda path=path: lint(path)) for path in yaml_files(ctx)]
