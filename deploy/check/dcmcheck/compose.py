"""deploy/compose.yaml: compose-spec schema, references and settings."""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
import shlex
from typing import Any
from urllib.parse import urlsplit

from .containerfile import parse
from .context import Context
from .examples import schema_errors
from .runner import Check

PROVIDER = "kcli-provider"
# Settings whose URL host must be a compose service (the stack is self-contained).
URL_SETTINGS = ("KWEB_URL", "SPM_URL", "NATS_URL", "ADVERTISE_URL")


def interpolate_default(value: str) -> str:
    """`${VAR:-default}` as compose resolves it with VAR unset."""
    return re.sub(r"\$\{[A-Z0-9_]+:?-([^}]*)\}", r"\1", value)


def conformance_invocations(command: Any) -> list[list[str]]:
    """`dcm-conformance SUB ARGS...` calls in a compose command, whether exec
    form or a shell script (`bash -c '...'`), each cut at the first shell
    operator."""
    if not command:
        return []
    words = command if isinstance(command, list) else shlex.split(command)
    if words[:2] in (["bash", "-c"], ["sh", "-c"]):
        words = shlex.split(words[2].replace("\\\n", " "), comments=True)
    calls: list[list[str]] = []
    for index, word in enumerate(words):
        if word == "dcm-conformance" and index + 1 < len(words):
            call: list[str] = []
            for arg in words[index + 1:]:
                if arg in {"|", "||", "&&", ";", "&"} or arg.startswith(("2>", ">", "<")):
                    break
                call.append(arg)
            calls.append(call)
    return calls


@functools.lru_cache(maxsize=1)
def compose_spec() -> Any:
    """The compose-spec JSON Schema vendored (and kept current) by check-jsonschema."""
    source = importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    return json.loads(source.read_text(encoding="utf-8"))


def cli_help(ctx: Context, binary: str, args: list[str]) -> str:
    done = ctx.run([ctx.binary(binary), *args, "--help"])
    if done.returncode != 0:
        raise RuntimeError(f"`{binary} {' '.join(args)} --help` failed:\n{done.stderr[-2000:]}")
    return done.stdout


def checks(ctx: Context) -> list[Check]:
    path = ctx.deploy / "compose.yaml"

    def schema() -> list[str]:
        return schema_errors(compose_spec(), ctx.yaml(path), ctx.rel(path))

    def references() -> list[str]:
        compose: dict[str, Any] = ctx.yaml(path)
        services: dict[str, Any] = compose.get("services", {})
        volumes = set((compose.get("volumes") or {}).keys())
        stages = {s.name for s in parse(ctx.deploy / "Containerfile")}
        problems: list[str] = []
        for name, service in services.items():
            build = service.get("build")
            if build:
                context = (path.parent / build.get("context", ".")).resolve()
                dockerfile = context / build.get("dockerfile", "Dockerfile")
                if not dockerfile.exists():
                    problems.append(f"{name}: build.dockerfile {dockerfile} does not exist")
                if build.get("target") not in stages:
                    problems.append(f"{name}: build.target {build.get('target')!r} is not a Containerfile stage")
            for dep in service.get("depends_on") or {}:
                if dep not in services:
                    problems.append(f"{name}: depends_on {dep} is not a service")
                elif set(services[dep].get("profiles", [])) - set(service.get("profiles", [])):
                    problems.append(f"{name}: depends_on {dep}, which only starts under a profile")
            for mount in service.get("volumes") or []:
                source = mount.split(":", 1)[0]
                if source.startswith((".", "/")) or "$" in source:
                    local = interpolate_default(source)
                    if local.startswith(".") and not (path.parent / local).exists():
                        problems.append(f"{name}: bind mount source {local} does not exist")
                elif source not in volumes:
                    problems.append(f"{name}: volume {source} is not declared under volumes:")
            for port in service.get("ports") or []:
                if not str(port).startswith("127.0.0.1:"):
                    problems.append(f"{name}: port {port} is published beyond 127.0.0.1")
        return problems

    def provider_environment() -> list[str]:
        compose = ctx.yaml(path)
        services = compose.get("services", {})
        env: dict[str, str] = services.get(PROVIDER, {}).get("environment", {})
        problems = [f"{name}: {key} is not a kcli-provider setting"
                    for name, service in services.items()
                    if service.get("build", {}).get("target") == PROVIDER
                    for key in sorted(set(service.get("environment") or {}) - ctx.setting_names)]
        for key in URL_SETTINGS:
            if key not in env:
                problems.append(f"{PROVIDER}: {key} is not set")
                continue
            host = urlsplit(interpolate_default(str(env[key]))).hostname
            if host not in services:
                problems.append(f"{PROVIDER}: {key} names host {host!r}, which is no service of the stack")
        advertise = urlsplit(interpolate_default(str(env.get("ADVERTISE_URL", ""))))
        if advertise.path not in {"", "/"}:
            problems.append(f"{PROVIDER}: ADVERTISE_URL must have no path (REG-011)")
        listen_port = str(env.get("LISTEN_ADDRESS", ":8080")).rsplit(":", 1)[-1]
        if advertise.port and str(advertise.port) != listen_port:
            problems.append(f"{PROVIDER}: ADVERTISE_URL port {advertise.port} is not the LISTEN_ADDRESS port {listen_port}")
        return problems

    def commands() -> list[str]:
        compose = ctx.yaml(path)
        problems: list[str] = []
        for name, service in compose.get("services", {}).items():
            for invocation in conformance_invocations(service.get("command")):
                subcommand, flags = invocation[0], [a for a in invocation[1:] if a.startswith("--")]
                text = cli_help(ctx, "dcm-conformance", [subcommand])
                for flag in flags:
                    if not re.search(rf"(^|\s){re.escape(flag)}[\s,=<]", text):
                        problems.append(f"{name}: `dcm-conformance {subcommand}` has no flag {flag}")
        sim_env = compose.get("services", {}).get("kweb-sim", {}).get("environment", {})
        sim_help = cli_help(ctx, "kweb-sim", [])
        for key in sim_env:
            if f"env: {key}" not in sim_help and f"env={key}" not in sim_help:
                problems.append(f"kweb-sim: {key} is not an environment variable of kweb-sim")
        return problems

    return [
        Check("compose: deploy/compose.yaml against the compose-spec schema", schema),
        Check("compose: build targets, depends_on, volumes, loopback-only ports", references),
        Check("compose: provider environment uses real settings and stack hosts", provider_environment),
        Check("compose: dcm-conformance and kweb-sim commands match their CLIs", commands),
    ]
