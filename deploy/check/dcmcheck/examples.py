"""deploy/examples: registration payloads, catalog items, policy, Traefik."""

from __future__ import annotations

import copy
import functools
import json
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import regopy
from jsonschema import Draft202012Validator

from .context import Context
from .kubernetes import environment, provider_deployments
from .runner import Check

# REG-010: UUIDv5 in the URL namespace over urn:dcm:provider:{name}.
PROVIDER_NAMESPACE = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")
REG_009_ID = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
PLURALS = {"vm": "vms", "cluster": "clusters"}
# KCLI-002.
DISPLAY_NAMES = {"vm": "kcli Virtual Machines", "cluster": "kcli Kubernetes Clusters"}
NAME_SETTINGS = {"vm": "PROVIDER_NAME_VM", "cluster": "PROVIDER_NAME_CLUSTER"}
SPEC_SCHEMAS = {"vm": "kcli-vm-spec.schema.json", "cluster": "kcli-cluster-spec.schema.json"}
POLICY_QUERY = "x = data.dcm.kcli.routing.main"


def provider_id(name: str) -> str:
    return str(uuid.uuid5(PROVIDER_NAMESPACE, f"urn:dcm:provider:{name}"))


def schema_errors(schema: Any, instance: Any, where: str) -> list[str]:
    validator = Draft202012Validator(schema)
    return [f"{where}: {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))]


def set_nested(spec: dict[str, Any], path: str, value: Any) -> None:
    """What DCM's catalog manager does with a field default (dot path into the spec)."""
    node = spec
    *parents, leaf = path.split(".")
    for key in parents:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise ValueError(f"{path}: {key} is not an object")
    node[leaf] = copy.deepcopy(value)


def evaluate(rego: str, given: Any) -> Any:
    """Evaluates the policy's `main` for one input; None when undefined."""
    return evaluate_json(rego, json.dumps(given, sort_keys=True))


@functools.lru_cache(maxsize=None)
def evaluate_json(rego: str, given_json: str) -> Any:
    given = json.loads(given_json)
    interpreter = regopy.Interpreter()
    interpreter.add_module("policy", rego)
    interpreter.set_input(given)
    text = str(interpreter.query(POLICY_QUERY))
    if text == "undefined":
        return None
    try:
        return json.loads(text)["bindings"]["x"]
    except (ValueError, KeyError) as error:
        raise RuntimeError(f"Rego evaluation failed: {text}") from error


def checks(ctx: Context) -> list[Check]:
    examples = ctx.deploy / "examples"
    defaults = lambda: {s["env"]: s.get("default") for s in ctx.settings}  # noqa: E731

    def registration(path: Path) -> list[str]:
        document = ctx.json(path)
        body = document.get("body", {})
        problems = schema_errors(ctx.schema("provider-registration.schema.json"), body, ctx.rel(path))
        if document.get("method") != "POST":
            problems.append("method must be POST (REG-001)")
        url = urlsplit(document.get("url", ""))
        if not url.path.endswith("/api/v1alpha1/providers"):
            problems.append(f"url path {url.path} is not {{base}}/providers with base …/api/v1alpha1 (REG-001)")
        ids = parse_qs(url.query).get("id", [])
        name = body.get("name", "")
        if ids != [provider_id(name)]:
            problems.append(f"?id={ids} but REG-010 derives {provider_id(name)} for {name!r}")
        elif not REG_009_ID.match(ids[0]):
            problems.append(f"?id={ids[0]} breaks REG-009")
        service_type = body.get("service_type")
        if service_type in PLURALS:
            if not urlsplit(body.get("endpoint", "")).path == f"/api/v1alpha1/{PLURALS[service_type]}":
                problems.append(f"endpoint must be {{ADVERTISE_URL}}/api/v1alpha1/{PLURALS[service_type]} (REG-011)")
            if body.get("display_name") != DISPLAY_NAMES[service_type]:
                problems.append(f"display_name must be {DISPLAY_NAMES[service_type]!r} (KCLI-002)")
            if name != defaults().get(NAME_SETTINGS[service_type]):
                problems.append(f"name {name!r} is not the default {NAME_SETTINGS[service_type]}")
        if body.get("operations") != ["CREATE", "DELETE", "READ"]:
            problems.append("operations must be [\"CREATE\",\"DELETE\",\"READ\"] (REG-007, KCLI-002)")
        for key, value in (body.get("metadata") or {}).items():
            if "kweb" in key or "://" in json.dumps(value):
                problems.append(f"metadata.{key} advertises a backend address (SEC-009)")
        return problems

    def suite_schema() -> list[str]:
        """The suite's own registration schema (derived from its wire types, committed as an insta snapshot)."""
        snapshot = ctx.root / "snapshots" / "sp_schema_registration.snap"
        if not snapshot.exists():
            return [f"{ctx.rel(snapshot)} is missing: the suite's registration schema comes from the spsuite branch"]
        schema = json.loads(snapshot.read_text(encoding="utf-8").split("---", 2)[2])
        problems: list[str] = []
        for path in sorted((examples / "registration").glob("*.json")):
            problems += schema_errors(schema, ctx.json(path)["body"], f"{ctx.rel(path)} (suite schema)")
        return problems

    def registration_pair() -> list[str]:
        types = {ctx.json(p)["body"].get("service_type") for p in (examples / "registration").glob("*.json")}
        return [] if types == {"vm", "cluster"} else [f"registration examples cover {sorted(types)}, not vm and cluster (KCLI-001)"]

    def catalog_item(path: Path) -> list[str]:
        item = ctx.json(path)
        where = ctx.rel(path)
        problems = schema_errors(ctx.schema("catalog-item.schema.json"), item, where)
        if problems:
            return problems
        service_type = item["spec"]["service_type"]
        if service_type not in SPEC_SCHEMAS:
            return [f"{where}: service_type {service_type} is not served by kcli-provider"]
        spec_schema = ctx.schema(SPEC_SCHEMAS[service_type])
        resolved: dict[str, Any] = {"service_type": service_type}
        for field in item["spec"]["fields"]:
            path_ = field["path"]
            if path_.split(".")[0] in {"cluster_type", "profile"}:
                problems.append(f"{where}: field {path_} must be provider_hints.kcli.{path_} (KCLI-010, KCLI-020)")
            schema = field.get("validation_schema")
            if schema is not None:
                try:
                    Draft202012Validator.check_schema(schema)
                except Exception as error:  # jsonschema's SchemaError
                    problems.append(f"{where}: {path_}: validation_schema is not a JSON Schema: {error}")
                    continue
                if not field.get("editable"):
                    problems.append(f"{where}: {path_}: validation_schema only applies to editable fields")
                if "default" in field:
                    problems += schema_errors(schema, field["default"], f"{where}: {path_} default")
            if "default" in field:
                set_nested(resolved, path_, field["default"])
        problems += schema_errors(spec_schema, resolved, f"{where} resolved spec")
        # Every value a user may pick must still give a spec the provider accepts.
        for field in item["spec"]["fields"]:
            for choice in (field.get("validation_schema") or {}).get("enum", []):
                variant = copy.deepcopy(resolved)
                set_nested(variant, field["path"], choice)
                problems += schema_errors(spec_schema, variant, f"{where} with {field['path']}={choice!r}")
        return problems

    def policy() -> list[str]:
        directory = examples / "policy"
        body = ctx.json(directory / "kcli-routing.policy.json")
        rego = (directory / "kcli-routing.rego").read_text(encoding="utf-8")
        problems = schema_errors(ctx.schema("policy.schema.json"), body, "kcli-routing.policy.json")
        if body.get("rego_code") != rego:
            problems.append("kcli-routing.policy.json rego_code differs from kcli-routing.rego")
        for case in ctx.json(directory / "cases.json"):
            source = rego
            if "default_backend" in case:
                source = rego.replace('default_backend := ""', f'default_backend := "{case["default_backend"]}"')
                if source == rego:
                    problems.append("kcli-routing.rego no longer has `default_backend := \"\"`")
                    continue
            got = evaluate(source, case["input"])
            if got != case["expect"]:
                problems.append(f"{case['name']}: got {got}, expected {case['expect']}")
        return problems

    def policy_matches_overlays() -> list[str]:
        rego = (examples / "policy" / "kcli-routing.rego").read_text(encoding="utf-8")
        problems = []
        names = {s["env"]: s.get("default") for s in ctx.settings}
        for overlay in ctx.overlays:
            for deployment in provider_deployments(ctx.render(overlay)):
                env = environment(deployment, ctx.render(overlay))
                backend = deployment["metadata"].get("labels", {}).get("dcm.kcli/backend")
                for service_type, key in NAME_SETTINGS.items():
                    spec: dict[str, Any] = {"service_type": service_type}
                    if backend:
                        spec["metadata"] = {"name": "x", "labels": {"kcli-backend": backend}}
                    got = evaluate(rego, {"spec": spec, "provider": ""})
                    want = env.get(key) or names.get(key)
                    if not got or got.get("selected_provider") != want:
                        problems.append(f"overlay {overlay.name}: a {service_type} for backend {backend!r} is routed "
                                        f"to {got}, but the provider registers as {want}")
        return problems

    def traefik() -> list[str]:
        path = examples / "traefik" / "kcli-routes.yml"
        config = ctx.yaml(path)
        problems = schema_errors(ctx.schema("traefik-dynamic.schema.json"), config, ctx.rel(path))
        if problems:
            return problems
        http = config["http"]
        compose_services = ctx.yaml(ctx.deploy / "compose.yaml")["services"]
        rendered = {f"{s['metadata']['name']}.{s['metadata'].get('namespace', 'default')}.svc.cluster.local"
                    for overlay in ctx.overlays for s in ctx.render(overlay) if s["kind"] == "Service"}
        for name, router in http["routers"].items():
            if router["service"] not in http["services"]:
                problems.append(f"router {name}: service {router['service']} is not defined")
            rule = router["rule"]
            if rule.count("(") != rule.count(")") or rule.count("`") % 2:
                problems.append(f"router {name}: unbalanced parentheses or backticks in rule")
            for needed in ("vms|clusters", "/health", "/api/v1alpha1/health", "/ready"):
                if needed not in rule:
                    problems.append(f"router {name}: rule does not route {needed}")
        for name, service in http["services"].items():
            for server in service["loadBalancer"]["servers"]:
                host = urlsplit(server["url"]).hostname
                if host not in compose_services and host not in rendered:
                    problems.append(f"service {name}: {host} is neither a compose service nor a rendered Service")
        return problems

    registration_files = sorted((examples / "registration").glob("*.json"))
    catalog_files = sorted((examples / "catalog-items").glob("*.json"))
    return [
        *[Check(f"examples: registration {p.name} (schema, REG-010 id, KCLI-002 body)",
                lambda p=p: registration(p)) for p in registration_files],
        Check("examples: registration payloads for kcli-vm and kcli-cluster", registration_pair),
        Check("examples: registration bodies against the conformance suite's schema", suite_schema),
        *[Check(f"examples: catalog item {p.name} (schema, resolved spec the provider accepts)",
                lambda p=p: catalog_item(p)) for p in catalog_files],
        Check("examples: routing policy (schema, Rego evaluated on cases.json)", policy),
        Check("examples: routing policy reaches the provider names of every overlay", policy_matches_overlays),
        Check("examples: Traefik routes (schema, services, DCM-facing paths)", traefik),
    ]
