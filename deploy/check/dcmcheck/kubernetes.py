"""deploy/k8s: every overlay rendered, schema-validated and checked."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate

from .context import Context
from .runner import Check

K8S_VERSION = "1.30.0"
PROVIDER_CONTAINER = "kcli-provider"
# Labels the provider's own selectors carry; a peer selector in another
# namespace that has them selects nothing there.
OWN_LABELS = {"app.kubernetes.io/part-of", "dcm.kcli/backend"}
PROVIDER_USER = 10001


def kinds(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d.get("kind") == kind]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def provider_deployments(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in kinds(docs, "Deployment")
            if any(c["name"] == PROVIDER_CONTAINER for c in d["spec"]["template"]["spec"]["containers"])]


def environment(deployment: dict[str, Any], docs: list[dict[str, Any]]) -> dict[str, str]:
    container = next(c for c in deployment["spec"]["template"]["spec"]["containers"]
                     if c["name"] == PROVIDER_CONTAINER)
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            found = [m for m in kinds(docs, "ConfigMap") if m["metadata"]["name"] == name]
            env.update(found[0].get("data", {}) if found else {})
    for item in container.get("env", []):
        env[item["name"]] = item.get("value", "")
    return env


@functools.lru_cache(maxsize=None)
def schema_problem(document: str) -> str | None:
    """kubernetes-validate's verdict on one JSON-encoded object (cached: the
    self-test validates the same objects many times)."""
    doc = json.loads(document)
    try:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return f"{doc['kind']}/{doc['metadata']['name']}: {error.message} at {list(error.path)}"
    except kubernetes_validate.SchemaNotFoundError as error:
        return f"{doc['kind']}/{doc['metadata']['name']}: no schema: {error}"
    return None


def check_overlay(ctx: Context, overlay: Path) -> list[str]:
    docs = ctx.render(overlay)
    problems: list[str] = []
    for doc in docs:
        problem = schema_problem(json.dumps(doc, sort_keys=True))
        if problem:
            problems.append(problem)
    pods = [(d["metadata"]["name"], d["spec"]["template"]["metadata"].get("labels", {}))
            for d in kinds(docs, "Deployment")]
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    services = {s["metadata"]["name"]: s for s in kinds(docs, "Service")}
    slices = kinds(docs, "EndpointSlice")
    for name, service in services.items():
        selector = service["spec"].get("selector")
        sliced = any(s["metadata"].get("labels", {}).get("kubernetes.io/service-name") == name for s in slices)
        if selector and sliced:
            problems.append(f"Service/{name} has a selector and a hand-written EndpointSlice; "
                            "the selector would replace the EndpointSlice's addresses")
        if selector:
            matched = [pod for pod, labels in pods if selects(selector, labels)]
            if len(matched) != 1:
                problems.append(f"Service/{name} selects {len(matched)} Deployments ({matched}); it must select one")
        elif not sliced:
            problems.append(f"Service/{name} has no selector and no EndpointSlice labelled with its name")
    for policy in kinds(docs, "NetworkPolicy"):
        name = policy["metadata"]["name"]
        if not any(selects(policy["spec"]["podSelector"].get("matchLabels", {}), labels) for _, labels in pods):
            problems.append(f"NetworkPolicy/{name} selects no pod")
        for rule in policy["spec"].get("ingress", []) + policy["spec"].get("egress", []):
            for peer in rule.get("from", []) + rule.get("to", []):
                own = OWN_LABELS & set(peer.get("podSelector", {}).get("matchLabels", {}))
                if "namespaceSelector" in peer and own:
                    problems.append(f"NetworkPolicy/{name}: a peer in another namespace selects pods by {sorted(own)}")
    providers = provider_deployments(docs)
    if not providers:
        problems.append("no kcli-provider Deployment")
    defaults = {s["env"]: s.get("default") for s in ctx.settings}
    registered: dict[str, str] = {}
    for deployment in providers:
        name = deployment["metadata"]["name"]
        spec = deployment["spec"]
        pod = spec["template"]["spec"]
        container = next(c for c in pod["containers"] if c["name"] == PROVIDER_CONTAINER)
        if spec.get("replicas") != 1:
            problems.append(f"Deployment/{name}: replicas must be 1 (one redb writer)")
        if spec.get("strategy", {}).get("type") != "Recreate":
            problems.append(f"Deployment/{name}: strategy must be Recreate")
        if container.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/health":
            problems.append(f"Deployment/{name}: liveness probe must GET /health")
        if container.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/ready":
            problems.append(f"Deployment/{name}: readiness probe must GET /ready")
        if pod.get("securityContext", {}).get("runAsUser") != PROVIDER_USER:
            problems.append(f"Deployment/{name}: runAsUser must be the image's user {PROVIDER_USER}")
        mounts = {m["name"]: m["mountPath"] for m in container.get("volumeMounts", [])}
        claims = {v["name"]: v["persistentVolumeClaim"]["claimName"]
                  for v in pod.get("volumes", []) if "persistentVolumeClaim" in v}
        data = [claims[v] for v, p in mounts.items() if p == "/data" and v in claims]
        if not data or ("PersistentVolumeClaim", data[0]) not in names:
            problems.append(f"Deployment/{name}: /data is not a PersistentVolumeClaim of this overlay")
        for source in container.get("envFrom", []):
            for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                if key in source and (kind, source[key]["name"]) not in names:
                    problems.append(f"Deployment/{name}: envFrom {kind}/{source[key]['name']} is not in the overlay")
        env = environment(deployment, docs)
        problems += [f"Deployment/{name}: {key} is not a kcli-provider setting"
                     for key in sorted(set(env) - ctx.setting_names)]
        for secret in kinds(docs, "Secret"):
            keys = set(secret.get("stringData", {})) | set(secret.get("data", {}))
            problems += [f"Secret/{secret['metadata']['name']}: {key} is not a kcli-provider setting"
                         for key in sorted(keys - ctx.setting_names)]
        namespace = deployment["metadata"].get("namespace", "default")
        kweb = urlsplit(env.get("KWEB_URL", ""))
        if kweb.hostname not in services:
            problems.append(f"Deployment/{name}: KWEB_URL host {kweb.hostname!r} is not a Service of the overlay")
        else:
            if selects(services[kweb.hostname]["spec"].get("selector") or {}, spec["template"]["metadata"]["labels"]):
                problems.append(f"Deployment/{name}: KWEB_URL's Service/{kweb.hostname} selects the provider itself")
            port_numbers = {p["port"] for p in services[kweb.hostname]["spec"]["ports"]}
            if kweb.port not in port_numbers:
                problems.append(f"Deployment/{name}: KWEB_URL port {kweb.port} is not a port of Service/{kweb.hostname}")
            egress_ports = {p.get("port") for pol in kinds(docs, "NetworkPolicy")
                            if selects(pol["spec"]["podSelector"].get("matchLabels", {}),
                                       spec["template"]["metadata"]["labels"])
                            for rule in pol["spec"].get("egress", []) for p in rule.get("ports", [])}
            if kweb.port not in egress_ports:
                problems.append(f"Deployment/{name}: no NetworkPolicy egress rule allows the kweb port {kweb.port}")
        advertise = urlsplit(env.get("ADVERTISE_URL", ""))
        own_services = [s for s, svc in services.items()
                        if selects(svc["spec"].get("selector") or {}, spec["template"]["metadata"]["labels"])]
        expected = {f"{s}.{namespace}.svc.cluster.local" for s in own_services} | \
                   {f"{s}.{namespace}.svc" for s in own_services}
        if advertise.hostname not in expected:
            problems.append(f"Deployment/{name}: ADVERTISE_URL host {advertise.hostname!r} is not its Service "
                            f"({sorted(expected)})")
        if advertise.path not in {"", "/"}:
            problems.append(f"Deployment/{name}: ADVERTISE_URL must have no path (REG-011)")
        for key in ("PROVIDER_NAME_VM", "PROVIDER_NAME_CLUSTER"):
            value = env.get(key) or defaults.get(key)
            if value in registered:
                problems.append(f"{key}={value} of Deployment/{name} is also used by {registered[value]}")
            registered[str(value)] = f"Deployment/{name}"
    return problems


def checks(ctx: Context) -> list[Check]:
    return [Check(f"kubernetes: overlay {overlay.name} renders, validates (k8s {K8S_VERSION}, strict) "
                  "and follows the deployment rules",
                  lambda overlay=overlay: check_overlay(ctx, overlay))
            for overlay in ctx.overlays]
