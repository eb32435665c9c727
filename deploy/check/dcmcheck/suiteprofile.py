"""The compose `suite` profile, run on the host without a container engine.

The two scripts of deploy/compose.yaml (`conformance` and
`provider-under-test`) are taken from the file as they are and run with the
repository's freshly built binaries on PATH; only what the containers would
provide is mapped to the host: the service names `nats` and `kweb-sim`, the
in-namespace port 8081, and the /reports and /data volumes. A local
`nats-server` and kweb-sim (with the compose service's environment) stand in
for those services. The check passes when the suite exits 0 and its report
shows no MUST failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from .context import Context, ToolMissing
from .runner import Check

SUITE_TIMEOUT_S = 600


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


def checks(ctx: Context) -> list[Check]:
    def run() -> list[str]:
        nats_server = shutil.which("nats-server")
        if not nats_server:
            raise ToolMissing("nats-server is needed (scripts/install-deps installs it)")
        target = ctx.debug_dir
        compose: dict[str, Any] = ctx.yaml(ctx.deploy / "compose.yaml")
        services = compose["services"]
        suite_script = services["conformance"]["command"][2]
        provider_shell, provider_flag, provider_script = services["provider-under-test"]["command"]
        provider_command = provider_script.replace("$$", "$")
        ports = {"nats": free_port(), "kweb": free_port(), "sp": free_port()}
        processes: list[subprocess.Popen[bytes]] = []
        with tempfile.TemporaryDirectory(prefix="check-deploy-suite-") as scratch_dir:
            scratch = Path(scratch_dir)
            (scratch / "reports").mkdir()
            (scratch / "data").mkdir()

            def host(text: str) -> str:
                return (text.replace("nats://nats:4222", f"nats://127.0.0.1:{ports['nats']}")
                        .replace("http://kweb-sim:8000", f"http://127.0.0.1:{ports['kweb']}")
                        .replace("127.0.0.1:8081", f"127.0.0.1:{ports['sp']}")
                        .replace("/reports", str(scratch / "reports"))
                        .replace("/data/", f"{scratch / 'data'}/")
                        .replace("/etc/kweb-sim/profiles.yml", str(ctx.deploy / "kweb-sim" / "profiles.yml"))
                        .replace("/var/lib/kweb-sim", str(scratch / "data")))

            base_env = {**os.environ, "PATH": f"{target}{os.pathsep}{os.environ.get('PATH', '')}"}
            try:
                processes.append(subprocess.Popen(
                    [nats_server, "-js", "-sd", str(scratch / "nats"), "-a", "127.0.0.1", "-p", str(ports["nats"])],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
                sim_env = {k: host(str(v)) for k, v in services["kweb-sim"]["environment"].items()}
                sim_env["KWEB_SIM_BIND"] = f"127.0.0.1:{ports['kweb']}"
                processes.append(subprocess.Popen(
                    [str(target / "kweb-sim")], env={**base_env, **sim_env},
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
                if not (wait_port(ports["nats"], 20) and wait_port(ports["kweb"], 20)):
                    return ["nats-server or kweb-sim did not start"]
                suite = subprocess.Popen(
                    ["bash", "-c", host(suite_script)], cwd=ctx.root, env=base_env,
                    stdout=(scratch / "suite.log").open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
                processes.append(suite)
                provider_env = {k: host(str(v)) for k, v in services["provider-under-test"]["environment"].items()}
                processes.append(subprocess.Popen(
                    [provider_shell, provider_flag, host(provider_command)], env={**base_env, **provider_env},
                    stdout=(scratch / "provider.log").open("wb"), stderr=subprocess.STDOUT, start_new_session=True))
                try:
                    code = suite.wait(timeout=SUITE_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    return [f"the suite did not finish within {SUITE_TIMEOUT_S} s"]
                log = (scratch / "suite.log").read_text(encoding="utf-8", errors="replace")
                closing = [line for line in log.splitlines() if line.startswith("conformance:")]
                report_path = scratch / "reports" / "conformance-report.yaml"
                problems: list[str] = []
                if code != 0:
                    problems.append(f"the suite exited {code}: {closing[-1] if closing else log[-1500:]}")
                if not report_path.exists():
                    problems.append("no conformance-report.yaml in the reports volume")
                else:
                    report = yaml.safe_load(report_path.read_text(encoding="utf-8"))
                    if report.get("failed"):
                        problems.append(f"{report['failed']} MUST failures: "
                                        + "; ".join(f["scenario"] for f in report.get("failures", [])))
                    if report.get("passed", 0) == 0:
                        problems.append("the report counts no passed scenario")
                if problems:
                    problems.append("provider log tail:\n" + (scratch / "provider.log").read_text(
                        encoding="utf-8", errors="replace")[-1500:])
                else:
                    print(f"     {closing[-1] if closing else ''}")
                return problems
            finally:
                for process in processes:
                    if process.poll() is None:
                        os.killpg(process.pid, signal.SIGTERM)
                for process in processes:
                    try:
                        process.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        os.killpg(process.pid, signal.SIGKILL)

    return [Check("compose: profile `suite` (its two scripts, run on the host) passes the SP suite", run)]
