"""The operator guide's settings table is the one generated from clap."""

from __future__ import annotations


from .context import Context
from .runner import Check

# Every variable named by dcm-sp-contract.md Appendix A.1 and §12.2: the
# provider must accept all of them (KCLI-070), so the docs list all of them.
CONTRACT_VARIABLES = {
    "KWEB_URL", "SPM_URL", "LISTEN_ADDRESS", "NATS_URL", "PROVIDER_NAME_VM",
    "PROVIDER_NAME_CLUSTER", "PROVIDER_ID_VM", "PROVIDER_ID_CLUSTER", "SCHEMA_VERSION",
    "POLL_INTERVAL", "DEBOUNCE_WINDOW", "CLUSTER_CREATE_TIMEOUT", "STATE_STORE_PATH",
    "LOG_LEVEL", "SHUTDOWN_TIMEOUT", "READ_TIMEOUT", "WRITE_TIMEOUT", "IDLE_TIMEOUT",
    "REQUEST_TIMEOUT", "KWEB_TIMEOUT", "REGION", "ZONE", "ADVERTISE_URL",
    "CREATE_SYNC_TIMEOUT", "CREATE_GRACE_PERIOD", "UNKNOWN_STATE_TIMEOUT", "RESYNC_INTERVAL",
    "REREGISTER_INTERVAL", "REGISTRATION_TIMEOUT", "HEALTH_PROBE_INTERVAL",
    "HEALTH_PROBE_TIMEOUT", "NAME_PREFIX", "ORPHAN_POLICY", "HINTS_POLICY",
    "HINTS_EXTRA_ALLOWED", "SP_AUTH_TOKEN", "DEFAULT_PROFILE", "DEFAULT_CLUSTER_TYPE",
    "AGENT_COMPAT",
}

# Defaults fixed by the contract (§12.2, Appendix A.1).
CONTRACT_DEFAULTS = {
    "LISTEN_ADDRESS": ":8080", "PROVIDER_NAME_VM": "kcli-vm", "PROVIDER_NAME_CLUSTER": "kcli-cluster",
    "SCHEMA_VERSION": "v1alpha1", "POLL_INTERVAL": "30s", "DEBOUNCE_WINDOW": "5s",
    "CLUSTER_CREATE_TIMEOUT": "30m", "STATE_STORE_PATH": "/data/state.db", "LOG_LEVEL": "info",
    "SHUTDOWN_TIMEOUT": "10s", "READ_TIMEOUT": "15s", "WRITE_TIMEOUT": "60s", "IDLE_TIMEOUT": "60s",
    "REQUEST_TIMEOUT": "25s", "KWEB_TIMEOUT": "120s", "CREATE_SYNC_TIMEOUT": "20s",
    "CREATE_GRACE_PERIOD": "10m", "UNKNOWN_STATE_TIMEOUT": "5m", "RESYNC_INTERVAL": "10m",
    "REREGISTER_INTERVAL": "5m", "REGISTRATION_TIMEOUT": "10s", "HEALTH_PROBE_INTERVAL": "5s",
    "HEALTH_PROBE_TIMEOUT": "3s", "NAME_PREFIX": "dcm-", "ORPHAN_POLICY": "report",
    "DEFAULT_PROFILE": "fedora41", "DEFAULT_CLUSTER_TYPE": "generic",
}


def checks(ctx: Context) -> list[Check]:
    def table_matches() -> list[str]:
        done = ctx.run([ctx.binary("settings-doc"), "check", "docs/operator-guide.md"])
        if done.returncode != 0:
            return [done.stderr.strip() or done.stdout.strip()]
        return []

    def contract_variables() -> list[str]:
        names = ctx.setting_names
        problems = [f"contract variable {name} is not a kcli-provider setting"
                    for name in sorted(CONTRACT_VARIABLES - names)]
        by_env = {s["env"]: s for s in ctx.settings}
        for name, default in sorted(CONTRACT_DEFAULTS.items()):
            actual = by_env.get(name, {}).get("default")
            if name in by_env and actual != default:
                problems.append(f"{name}: default {actual!r}, the contract says {default!r}")
        return problems

    return [
        Check("settings: docs/operator-guide.md table equals the clap definitions", table_matches),
        Check("settings: every contract variable exists with the contract's default", contract_variables),
    ]
