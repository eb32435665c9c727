"""`check-deploy --self-test`: every check can fail.

Each mutation below breaks one rule in a scratch copy of the repository's
deploy files; the self-test passes only if, for every mutation, at least one
check that passes on the unmodified copy fails on the mutated one. Checks
that shell out to cargo (settings table, CLI flags) are left out: they read
the binaries, not the copied files. The provider's settings are computed
once from the real workspace and shared with every copy.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from . import compose, containerfile, docs, examples, kubernetes, quadlet, yamlfiles
from .context import Context
from .runner import Check, Runner

COPIED = ("deploy", "docs", "scripts", "features", "conformance/fixtures", "snapshots", "Cargo.toml",
          ".dockerignore")
MODULES = (yamlfiles, containerfile, compose, kubernetes, quadlet, examples, docs)
USES_CARGO = ("table equals", "match their CLIs")


def replace(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / relative
        text = path.read_text(encoding="utf-8")
        if old not in text:
            raise AssertionError(f"self-test is stale: {old!r} not in {relative}")
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return mutate


def append(relative: str, extra: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / relative
        path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return mutate


def rewrite_policy(old: str, new: str) -> Callable[[Path], None]:
    """Changes the Rego and the policy body together, so only the decisions differ."""
    def mutate(root: Path) -> None:
        directory = root / "deploy" / "examples" / "policy"
        replace("deploy/examples/policy/kcli-routing.rego", old, new)(root)
        body = json.loads((directory / "kcli-routing.policy.json").read_text(encoding="utf-8"))
        body["rego_code"] = (directory / "kcli-routing.rego").read_text(encoding="utf-8")
        (directory / "kcli-routing.policy.json").write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return mutate


MUTATIONS: dict[str, Callable[[Path], None]] = {
    "catalog item puts cluster_type at the top (the Go provider's defect)": replace(
        "deploy/examples/catalog-items/cluster-k3s.json", '"provider_hints.kcli.cluster_type"', '"cluster_type"'),
    "catalog item offers a size the provider refuses": replace(
        "deploy/examples/catalog-items/vm-fedora.json", '"16GB"]', '"16G"]'),
    "catalog item uses a camelCase key": replace(
        "deploy/examples/catalog-items/vm-fedora.json", '"validation_schema"', '"validationSchema"'),
    "registration id is not the UUIDv5 of the name": replace(
        "deploy/examples/registration/kcli-vm.json", "94a87776", "94a87777"),
    "registration metadata leaks kweb's address": replace(
        "deploy/examples/registration/kcli-vm.json", '"backend": "kvm"', '"backend": "kvm", "kweb_url": "http://k:8000"'),
    "registration sends lower-case operations": replace(
        "deploy/examples/registration/kcli-cluster.json", '"CREATE"', '"create"'),
    "registration endpoint is a wildcard bind address": replace(
        "deploy/examples/registration/kcli-vm.json", "http://kcli-sp.lab:8080", "http://0.0.0.0:8080"),
    "policy body drifts from the .rego file": replace(
        "deploy/examples/policy/kcli-routing.rego", '"lab-a", "lab-b"', '"lab-a", "lab-c"'),
    "policy routes clusters to the VM provider": rewrite_policy(
        'concat("-", ["kcli", input.spec.service_type]) if backend == ""',
        'concat("-", ["kcli", "vm"]) if backend == ""'),
    "kweb Service gets a selector (would select the provider)": replace(
        "deploy/k8s/overlays/lab-a/backend-label.yaml", "path: spec/selector\n    create: false",
        "path: spec/selector\n    create: true"),
    "two replicas on one redb store": replace("deploy/k8s/base/deployment.yaml", "replicas: 1", "replicas: 2"),
    "rolling updates on one redb store": replace("deploy/k8s/base/deployment.yaml", "type: Recreate", "type: RollingUpdate"),
    "misspelt Kubernetes field": replace("deploy/k8s/base/deployment.yaml", "imagePullPolicy", "imagePulPolicy"),
    "readiness probe on /health": replace("deploy/k8s/base/deployment.yaml", "path: /ready", "path: /health"),
    "two backends register the same name": replace(
        "deploy/k8s/overlays/lab-b/config.yaml", "kcli-lab-b-vm", "kcli-lab-a-vm"),
    "NetworkPolicy blocks the kweb port": replace(
        "deploy/k8s/overlays/lab-a/kustomization.yaml", "- port: 8000", "- port: 8001"),
    "ADVERTISE_URL names another backend's Service": replace(
        "deploy/k8s/overlays/lab-b/config.yaml", "http://lab-b-kcli-provider.", "http://lab-a-kcli-provider."),
    "DNS egress peer carries the provider's labels": replace(
        "deploy/k8s/base/networkpolicy.yaml", "kubernetes.io/metadata.name: kube-system\n",
        "kubernetes.io/metadata.name: kube-system\n          podSelector:\n            matchLabels:\n"
        "              app.kubernetes.io/part-of: dcm-kcli\n"),
    "unknown Quadlet key": replace("deploy/quadlet/nats.container", "HealthRetries=3", "HealthRetry=3"),
    "Quadlet references a missing network": replace(
        "deploy/quadlet/kcli-provider.container", "Network=dcm-kcli.network", "Network=dcm.network"),
    "env file names a variable the provider does not have": replace(
        "deploy/quadlet/kcli-provider.env", "#KWEB_BURST=20", "#KWEB_BURSTS=20"),
    "env file holds the bearer token": replace(
        "deploy/quadlet/kcli-provider.env", "#SP_AUTH_TOKEN=", "SP_AUTH_TOKEN=secret"),
    "env file line without explanation": append("deploy/quadlet/kcli-provider.env", "\nLOG_LEVEL=debug\n"),
    "compose publishes the provider on every interface": replace(
        "deploy/compose.yaml", '"127.0.0.1:8080:8080"', '"8080:8080"'),
    "compose key misspelt": replace("deploy/compose.yaml", "    depends_on:\n      nats:", "    depend_on:\n      nats:"),
    "compose builds a target the Containerfile lacks": replace(
        "deploy/compose.yaml", "target: kweb-sim", "target: kwebsim"),
    "compose sets a variable the provider does not have": replace(
        "deploy/compose.yaml", "LOG_LEVEL: ${LOG_LEVEL:-info}", "LOGLEVEL: info"),
    "compose advertises a bind address": replace(
        "deploy/compose.yaml", "ADVERTISE_URL: http://kcli-provider:8080", "ADVERTISE_URL: http://0.0.0.0:8080"),
    "image runs as root": replace("deploy/Containerfile", "USER 10001:10001\nEXPOSE 8080", "USER root\nEXPOSE 8080"),
    "default target is not the provider": append("deploy/Containerfile", "\nFROM runtime AS extra\nUSER 10001\n"),
    "HEALTHCHECK probes /ready": replace(
        "deploy/Containerfile", 'CMD ["/usr/local/bin/healthcheck", "/health"]',
        'CMD ["/usr/local/bin/healthcheck", "/ready"]'),
    "COPY of a file that does not exist": replace(
        "deploy/Containerfile", "COPY deploy/container/healthcheck", "COPY deploy/container/health-check"),
    "Traefik key misspelt": replace("deploy/examples/traefik/kcli-routes.yml", "entryPoints: [web]", "entrypoints: [web]"),
    "operator guide lists a wrong registration id": replace(
        "docs/operator-guide.md", "| `kcli-lab-b-vm` | `6867ffee", "| `kcli-lab-b-vm` | `6867fffe"),
    "YAML trailing spaces": replace("deploy/k8s/base/pvc.yaml", "  name: kcli-provider-data", "  name: kcli-provider-data   "),
}


def copy_tree(source: Path, target: Path) -> None:
    for name in COPIED:
        path = source / name
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            shutil.copytree(path, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif path.exists():
            shutil.copy(path, target / name)


def results(root: Path, cache: Path, settings: list) -> dict[str, bool]:
    """Check name → passed, for the checks that read only copied files."""
    ctx = Context(root, cache)
    ctx.__dict__["settings"] = settings
    outcome: dict[str, bool] = {}
    for module in MODULES:
        for check in module.checks(ctx):
            if any(marker in check.name for marker in USES_CARGO):
                continue
            runner = Runner()
            with contextlib.redirect_stdout(io.StringIO()):
                runner.run_all([check])
            outcome[check.name] = runner.failed == 0
    return outcome


def checks(ctx: Context) -> list[Check]:
    def run() -> list[str]:
        settings = ctx.settings
        with tempfile.TemporaryDirectory(prefix="check-deploy-selftest-") as scratch:
            base_root = Path(scratch) / "base"
            base_root.mkdir()
            copy_tree(ctx.root, base_root)
            baseline = results(base_root, ctx.cache, settings)
            problems: list[str] = []
            for name, mutate in MUTATIONS.items():
                root = Path(scratch) / "mutant"
                shutil.rmtree(root, ignore_errors=True)
                root.mkdir()
                copy_tree(ctx.root, root)
                mutate(root)
                after = results(root, ctx.cache, settings)
                caught = [check for check, ok in after.items() if baseline.get(check) and not ok]
                if not caught:
                    problems.append(f"not caught: {name}")
            if problems:
                # A check failing on the unmodified copy cannot show a breakage.
                problems += [f"(fails on the unmodified copy: {check})" for check, ok in baseline.items() if not ok]
            return problems

    return [Check(f"self-test: each of {len(MUTATIONS)} deliberate breakages fails a passing check", run)]
