"""deploy/Containerfile: a real linter, then the project's own rules."""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass, field
from pathlib import Path

import dockerfile

from .context import Context
from .runner import Check

# Build targets the compose file, Quadlet units and docs rely on, and the
# last stage, which a plain `podman build` builds.
TARGETS = ("kcli-provider", "kweb-sim", "dcm-conformance", "kweb")
DEFAULT_TARGET = "kcli-provider"
HEALTH_PATHS = {"kcli-provider": "/health", "kweb-sim": "/hosts", "kweb": "/hosts"}
REQUIRED_LABELS = (
    "org.opencontainers.image.version",
    "org.opencontainers.image.source",
    "org.opencontainers.image.revision",
    "io.dcm.kcli.validated-version",
)
PIN_FILE = "scripts/kweb-live/kcli-version"
# Where deploy/build-images --prebuilt stages host-built binaries for the
# `prebuilt` stage: absent from a clean checkout, let through by .dockerignore.
PREBUILT_DIR = "target/prebuilt/"


@dataclass
class Stage:
    """One FROM ... AS name block, with what it inherits from a parent stage."""

    name: str
    base: str
    line: int
    commands: list[dockerfile.Command] = field(default_factory=list)


def parse(path: Path) -> list[Stage]:
    stages: list[Stage] = []
    for command in dockerfile.parse_file(str(path)):
        if command.cmd == "FROM":
            value = list(command.value)
            name = value[2] if len(value) >= 3 and value[1].upper() == "AS" else f"#{len(stages)}"
            stages.append(Stage(name=name, base=value[0], line=command.start_line))
        elif stages:
            stages[-1].commands.append(command)
    return stages


def lineage(stage: Stage, by_name: dict[str, Stage]) -> list[Stage]:
    """The stage and its ancestors that are stages of this file, nearest first."""
    chain = [stage]
    while chain[-1].base in by_name:
        chain.append(by_name[chain[-1].base])
    return chain


def effective(stage: Stage, by_name: dict[str, Stage], cmd: str) -> list[dockerfile.Command]:
    """Commands of one kind that apply to a stage, the nearest stage's first."""
    return [c for s in lineage(stage, by_name) for c in reversed(s.commands) if c.cmd == cmd]


def labels(stage: Stage, by_name: dict[str, Stage]) -> dict[str, str]:
    found: dict[str, str] = {}
    for command in reversed(effective(stage, by_name, "LABEL")):
        values = list(command.value)
        for key, value in zip(values[::2], values[1::2]):
            found[key] = value.strip('"')
    return found


def checks(ctx: Context) -> list[Check]:
    path = ctx.deploy / "Containerfile"

    def lint() -> list[str]:
        done = ctx.run([ctx.dockerfile_utils(), "lint", str(path)])
        return [] if done.returncode == 0 else [done.stdout.strip() or done.stderr.strip()]

    def rules() -> list[str]:
        problems: list[str] = []
        stages = parse(path)
        by_name = {s.name: s for s in stages}
        for target in TARGETS:
            if target not in by_name:
                problems.append(f"build target {target} is missing")
        if stages and stages[-1].name != DEFAULT_TARGET:
            problems.append(f"the last stage is {stages[-1].name}; it must be {DEFAULT_TARGET} (the default target)")
        for index, stage in enumerate(stages):
            earlier = {s.name for s in stages[:index]}
            for command in stage.commands:
                for flag in command.flags:
                    if flag.startswith("--from=") and flag.split("=", 1)[1] not in earlier:
                        problems.append(f"line {command.start_line}: COPY {flag} names no earlier stage")
                if command.cmd in {"COPY", "ADD"} and not any(f.startswith("--from=") for f in command.flags):
                    for source in list(command.value)[:-1]:
                        # target/prebuilt/ is made by `deploy/build-images --prebuilt`.
                        if not source.startswith(PREBUILT_DIR) and not glob.glob(str(ctx.root / source)):
                            problems.append(f"line {command.start_line}: COPY source {source} does not exist")
        for target in (t for t in TARGETS if t in by_name):
            stage = by_name[target]
            users = effective(stage, by_name, "USER")
            user = users[0].value[0] if users else "root"
            if user.split(":")[0] in {"root", "0"}:
                problems.append(f"{target}: runs as {user}; it must set a non-root USER")
            found = labels(stage, by_name)
            for key in REQUIRED_LABELS:
                if not found.get(key):
                    problems.append(f"{target}: label {key} is missing")
            if found.get("io.dcm.kcli.validated-version") != "${KCLI_VERSION}":
                problems.append(f"{target}: io.dcm.kcli.validated-version must come from the KCLI_VERSION build arg")
            if target in HEALTH_PATHS:
                checks_ = effective(stage, by_name, "HEALTHCHECK")
                if not checks_:
                    problems.append(f"{target}: no HEALTHCHECK")
                elif not re.search(re.escape(HEALTH_PATHS[target]) + r"(?![A-Za-z0-9_/-])", checks_[0].original):
                    problems.append(f"{target}: HEALTHCHECK does not probe {HEALTH_PATHS[target]}")
        if DEFAULT_TARGET in by_name:
            stage = by_name[DEFAULT_TARGET]
            volumes = " ".join(c.original for c in effective(stage, by_name, "VOLUME"))
            if "/data" not in volumes:
                problems.append(f"{DEFAULT_TARGET}: no VOLUME /data for the redb store")
            env = {}
            for command in reversed(effective(stage, by_name, "ENV")):
                values = list(command.value)
                env.update(zip(values[::2], values[1::2]))
            unknown = sorted(set(env) - ctx.setting_names)
            problems += [f"{DEFAULT_TARGET}: ENV {name} is not a kcli-provider setting" for name in unknown]
            if not env.get("STATE_STORE_PATH", "").startswith("/data/"):
                problems.append(f"{DEFAULT_TARGET}: STATE_STORE_PATH must be on the /data volume")
        return problems

    def pin() -> list[str]:
        problems = []
        pin_path = ctx.root / PIN_FILE
        if not pin_path.exists():
            return [f"{PIN_FILE} is missing: the images' validated kcli version comes from it"]
        value = pin_path.read_text(encoding="utf-8").strip()
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)+", value):
            problems.append(f"{PIN_FILE} holds {value!r}, not a kcli version")
        build = (ctx.deploy / "build-images").read_text(encoding="utf-8")
        if PIN_FILE not in build or "KCLI_VERSION" not in build:
            problems.append(f"deploy/build-images does not pass {PIN_FILE} as KCLI_VERSION")
        ignore = (ctx.root / ".dockerignore")
        if not ignore.exists() or "target/" not in ignore.read_text(encoding="utf-8").split():
            problems.append(".dockerignore must exclude target/ from the build context")
        return problems

    return [
        Check("containerfile: dockerfile-utils lint", lint),
        Check("containerfile: targets, users, labels, healthchecks, /data, COPY sources", rules),
        Check("containerfile: labels read the one kcli pin; build context excludes target/", pin),
    ]
