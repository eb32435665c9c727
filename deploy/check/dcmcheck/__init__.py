"""check-deploy: validates everything under deploy/ and the settings docs.

Module map (read in this order):
  runner.py        Check, Runner: runs named checks, prints PASS/FAIL lines
                   and the closing line `check-deploy: N passed, N failed`.
  context.py       Context: repository paths, external tools (kubectl,
                   dockerfile-utils, cargo), and the provider's settings as
                   generated from its clap definitions by `settings-doc json`.
  settings.py      the generated settings table equals the committed one in
                   docs/operator-guide.md.
  yamlfiles.py     yamllint over every YAML file under deploy/.
  containerfile.py deploy/Containerfile: dockerfile-utils lint, then the
                   project's rules (targets, non-root users, HEALTHCHECK,
                   labels, /data volume, COPY sources that exist).
  compose.py       deploy/compose.yaml: compose-spec schema, then references
                   (build targets, depends_on, volumes), loopback-only ports
                   and provider environment names.
  kubernetes.py    every kustomize overlay rendered with `kubectl kustomize`
                   and validated with kubernetes-validate --strict, then the
                   deployment rules (one replica, Recreate, probes, PVC,
                   selectors, NetworkPolicy, distinct provider names).
  quadlet.py       deploy/quadlet/: unit syntax, known Quadlet keys,
                   references between units, the documented env file.
  examples.py      deploy/examples/: registration payloads (schema and
                   UUIDv5 ids), catalog items (schema, resolved spec the
                   provider accepts), routing policy (schema, Rego evaluated
                   on cases), Traefik routes.

Data flow: __main__ builds one Context, each module contributes checks
(name, function returning a list of problems), the Runner executes them in
order and exits non-zero if any check reported a problem.
"""
