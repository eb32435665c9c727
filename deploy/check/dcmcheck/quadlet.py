"""deploy/quadlet: unit syntax, Quadlet keys, references, the env file.

podman's own generator (`quadlet -dryrun`) needs podman 4.4 or newer, which
Debian 12 does not ship, so this module checks what the generator would
reject: unknown sections and keys (from podman-systemd.unit(5), podman 5),
references to .network/.volume files that do not exist, and dependencies on
units that are not part of the set.
"""

from __future__ import annotations

import re
from pathlib import Path

from .context import Context
from .runner import Check

SYSTEMD_SECTIONS = {
    "Unit": {"Description", "Documentation", "After", "Before", "Wants", "Requires", "BindsTo",
             "PartOf", "Conflicts", "ConditionPathExists", "StartLimitIntervalSec", "StartLimitBurst"},
    "Service": {"Restart", "RestartSec", "TimeoutStartSec", "TimeoutStopSec", "Type", "ExecStartPre",
                "ExecStartPost", "Environment", "EnvironmentFile"},
    "Install": {"WantedBy", "RequiredBy", "Alias"},
}
QUADLET_SECTIONS = {
    ".container": ("Container", {
        "AddCapability", "AddDevice", "Annotation", "AutoUpdate", "ContainerName", "DNS", "DropCapability",
        "Entrypoint", "Environment", "EnvironmentFile", "EnvironmentHost", "Exec", "ExposeHostPort",
        "GroupAdd", "HealthCmd", "HealthInterval", "HealthOnFailure", "HealthRetries", "HealthStartPeriod",
        "HealthTimeout", "HostName", "Image", "IP", "Label", "LogDriver", "Mount", "Network",
        "NoNewPrivileges", "Notify", "PodmanArgs", "PublishPort", "Pull", "ReadOnly", "ReadOnlyTmpfs",
        "RunInit", "SeccompProfile", "Secret", "SecurityLabelDisable", "SecurityLabelType", "StopTimeout",
        "Timezone", "Tmpfs", "User", "UserNS", "Volume", "WorkingDir",
    }),
    ".network": ("Network", {"DisableDNS", "DNS", "Driver", "Gateway", "Internal", "IPRange", "IPv6",
                             "Label", "NetworkName", "Options", "PodmanArgs", "Subnet"}),
    ".volume": ("Volume", {"Copy", "Device", "Driver", "Group", "Image", "Label", "Options",
                           "PodmanArgs", "Type", "User", "VolumeName"}),
}
ENV_FILE = "kcli-provider.env"
SECRET_SETTINGS = {"SP_AUTH_TOKEN"}


def parse_unit(path: Path) -> tuple[dict[str, list[tuple[str, str, int]]], list[str]]:
    """Sections → [(key, value, line)], plus syntax problems."""
    sections: dict[str, list[tuple[str, str, int]]] = {}
    problems: list[str] = []
    current = None
    lines = path.read_text(encoding="utf-8").splitlines()
    number = 0
    while number < len(lines):
        raw = lines[number]
        number += 1
        line = raw.strip()
        while line.endswith("\\") and number < len(lines):
            line = line[:-1] + " " + lines[number].strip()
            number += 1
        if not line or line.startswith(("#", ";")):
            continue
        header = re.fullmatch(r"\[([A-Za-z]+)\]", line)
        if header:
            current = header.group(1)
            if current in sections:
                problems.append(f"{path.name}:{number}: section [{current}] appears twice")
            sections.setdefault(current, [])
            continue
        if current is None:
            problems.append(f"{path.name}:{number}: assignment outside a section")
            continue
        if "=" not in line:
            problems.append(f"{path.name}:{number}: not a Key=Value line: {line}")
            continue
        key, value = line.split("=", 1)
        sections[current].append((key.strip(), value.strip(), number))
    return sections, problems


def checks(ctx: Context) -> list[Check]:
    directory = ctx.deploy / "quadlet"
    units = sorted(p for p in directory.iterdir() if p.suffix in QUADLET_SECTIONS)

    def unit(path: Path) -> list[str]:
        sections, problems = parse_unit(path)
        own_section, own_keys = QUADLET_SECTIONS[path.suffix]
        if own_section not in sections:
            problems.append(f"{path.name}: no [{own_section}] section")
        for section, entries in sections.items():
            allowed = own_keys if section == own_section else SYSTEMD_SECTIONS.get(section)
            if allowed is None:
                problems.append(f"{path.name}: unknown section [{section}]")
                continue
            for key, value, line in entries:
                if key not in allowed:
                    problems.append(f"{path.name}:{line}: unknown key {key} in [{section}]")
                if key in {"Network"} and value.endswith(".network") and not (directory / value).exists():
                    problems.append(f"{path.name}:{line}: {value} is not in deploy/quadlet")
                if key == "Volume":
                    source = value.split(":", 1)[0]
                    if source.endswith(".volume") and not (directory / source).exists():
                        problems.append(f"{path.name}:{line}: {source} is not in deploy/quadlet")
                if key in {"After", "Wants", "Requires"}:
                    for dependency in value.split():
                        stem = dependency.removesuffix(".service")
                        if dependency.endswith(".service") and not any(
                                (directory / f"{stem}{suffix}").exists() for suffix in QUADLET_SECTIONS) \
                                and dependency not in {"libvirtd.service"}:
                            problems.append(f"{path.name}:{line}: depends on {dependency}, which no unit here provides")
                if key == "PublishPort" and not re.fullmatch(r"([0-9.]+:)?[0-9]{1,5}:[0-9]{1,5}(/(tcp|udp))?", value):
                    problems.append(f"{path.name}:{line}: PublishPort {value!r} is not [ip:]host:container")
                if key == "Environment" and "=" not in value:
                    problems.append(f"{path.name}:{line}: Environment needs NAME=value")
        return problems

    def provider_unit() -> list[str]:
        sections, problems = parse_unit(directory / "kcli-provider.container")
        container = {k: v for k, v, _ in sections.get("Container", [])}
        if not container.get("EnvironmentFile", "").endswith("/" + ENV_FILE):
            problems.append(f"kcli-provider.container: EnvironmentFile must point at the installed {ENV_FILE}")
        if "/health" not in container.get("HealthCmd", ""):
            problems.append("kcli-provider.container: HealthCmd must probe /health (liveness)")
        if ":/data" not in container.get("Volume", ""):
            problems.append("kcli-provider.container: the state volume must be mounted at /data")
        if container.get("User", "").split(":")[0] in {"", "0", "root"}:
            problems.append("kcli-provider.container: User must be the image's non-root user")
        for key, value in (("Environment", v) for k, v, _ in sections.get("Container", []) if k == "Environment"):
            name = value.split("=", 1)[0]
            if name in SECRET_SETTINGS:
                problems.append(f"kcli-provider.container: {name} must come from a podman secret, not {key}=")
        return problems

    def env_file() -> list[str]:
        path = directory / ENV_FILE
        problems: list[str] = []
        seen: dict[str, int] = {}
        previous_comment = False
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            line = raw.strip()
            assignment = re.fullmatch(r"(#\s*)?([A-Z][A-Z0-9_]*)=(.*)", line)
            if assignment:
                commented, name, value = assignment.groups()
                if name in seen:
                    problems.append(f"{ENV_FILE}:{number}: {name} appears again (first at line {seen[name]})")
                seen[name] = number
                if name not in ctx.setting_names:
                    problems.append(f"{ENV_FILE}:{number}: {name} is not a kcli-provider setting")
                if not previous_comment:
                    problems.append(f"{ENV_FILE}:{number}: {name} has no explanation above it")
                if name in SECRET_SETTINGS and not commented and value:
                    problems.append(f"{ENV_FILE}:{number}: {name} must come from a podman secret")
                previous_comment = False
            elif line.startswith("#"):
                previous_comment = True
            elif line:
                problems.append(f"{ENV_FILE}:{number}: neither a comment nor NAME=value: {line}")
            else:
                previous_comment = False
        problems += [f"{ENV_FILE}: setting {name} is not documented (set it, or list it commented out)"
                     for name in sorted(ctx.setting_names - set(seen))]
        return problems

    return [Check(f"quadlet: {path.name} syntax, keys and references", lambda path=path: unit(path))
            for path in units] + [
        Check("quadlet: kcli-provider.container health, /data, user, env file, secrets", provider_unit),
        Check(f"quadlet: {ENV_FILE} documents every setting line by line", env_file),
    ]
