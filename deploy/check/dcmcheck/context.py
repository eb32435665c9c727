"""Repository paths, external tools and the provider's settings."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml


class ToolMissing(Exception):
    """An external tool the check needs is not installed; the message says how to get it."""


class Context:
    """Everything the checks share. Expensive values are computed once."""

    def __init__(self, root: Path, cache: Path) -> None:
        self.root = root
        self.deploy = root / "deploy"
        self.cache = cache
        self.schemas = self.deploy / "check" / "schemas"
        self.venv_bin = Path(sys.executable).parent

    # --- files -------------------------------------------------------------

    def yaml_documents(self, path: Path) -> list[Any]:
        with path.open(encoding="utf-8") as handle:
            return [doc for doc in yaml.safe_load_all(handle) if doc is not None]

    def yaml(self, path: Path) -> Any:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)

    def json(self, path: Path) -> Any:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)

    def schema(self, name: str) -> Any:
        return self.json(self.schemas / name)

    def rel(self, path: Path) -> str:
        return str(path.relative_to(self.root))

    # --- tools -------------------------------------------------------------

    def kubectl(self) -> str:
        found = shutil.which("kubectl")
        if not found:
            raise ToolMissing(
                "kubectl not found: it renders the kustomize overlays (`kubectl kustomize`); "
                "install it (Debian: the `kubectl` package of the Google Cloud CLI repository, "
                "or any kubectl >= 1.27)"
            )
        return found

    def dockerfile_utils(self) -> str:
        path = self.cache / "npm" / "node_modules" / ".bin" / "dockerfile-utils"
        if not path.exists():
            raise ToolMissing(
                f"{path} not found: scripts/check-deploy installs it with npm (needs node and npm)"
            )
        return str(path)

    def run(self, argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, cwd=self.root, capture_output=True, text=True, **kwargs)

    @cached_property
    def debug_dir(self) -> Path:
        """target/debug after `scripts/build-debug` (the whole workspace, as `cargo test
        --workspace` builds it: a `cargo run -p X` would recompile dependencies with other
        features). Raises ToolMissing when cargo is absent, RuntimeError when the build fails."""
        if not shutil.which("cargo"):
            raise ToolMissing("cargo not found: the settings and CLI checks read the workspace's binaries")
        done = self.run([str(self.root / "scripts" / "build-debug")])
        if done.returncode != 0:
            raise RuntimeError(f"scripts/build-debug failed:\n{done.stderr[-3000:]}")
        return Path(os.environ.get("CARGO_TARGET_DIR") or self.root / "target") / "debug"

    def binary(self, name: str) -> str:
        """Path of one of the workspace's debug binaries (`kcli-provider`, `kweb-sim`,
        `dcm-conformance`, `settings-doc`), built first if needed (see `debug_dir`)."""
        return str(self.debug_dir / name)

    # --- the provider's settings, from its clap definitions ----------------

    @cached_property
    def settings(self) -> list[dict[str, Any]]:
        """Every kcli-provider setting as `settings-doc json` prints it.

        Shape: [{"env", "flag", "default", "required", "kind", "values", "help"}].
        Raises ToolMissing when cargo is absent, RuntimeError when the build or the run fails.
        """
        done = self.run([self.binary("settings-doc"), "json"])
        if done.returncode != 0:
            raise RuntimeError(f"`settings-doc json` failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout)

    @property
    def setting_names(self) -> set[str]:
        return {setting["env"] for setting in self.settings}

    # --- kustomize ----------------------------------------------------------

    @cached_property
    def overlays(self) -> list[Path]:
        base = self.deploy / "k8s" / "overlays"
        return sorted(p for p in base.iterdir() if (p / "kustomization.yaml").exists())

    def render(self, kustomization: Path) -> list[dict[str, Any]]:
        """Renders one kustomization directory; raises RuntimeError with kustomize's message.

        Renders are kept per content of deploy/k8s, so identical trees (the
        self-test's copies) are rendered once.
        """
        key = (str(kustomization.relative_to(self.root)), self.k8s_digest)
        if key not in RENDERED:
            done = self.run([self.kubectl(), "kustomize", str(kustomization)])
            if done.returncode != 0:
                raise RuntimeError(f"kubectl kustomize {self.rel(kustomization)}: {done.stderr.strip()}")
            RENDERED[key] = done.stdout
        return [doc for doc in yaml.safe_load_all(RENDERED[key]) if doc is not None]

    @cached_property
    def k8s_digest(self) -> str:
        digest = hashlib.sha256()
        for path in sorted((self.deploy / "k8s").rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(self.deploy)).encode())
                digest.update(path.read_bytes())
        return digest.hexdigest()


# kubectl kustomize output per (kustomization, digest of deploy/k8s).
RENDERED: dict[tuple[str, str], str] = {}


def default_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dcm-kcli"
