# Routes DCM `vm` and `cluster` requests to the kcli providers.
#
# DCM's policy manager evaluates `data.<package>.main` with the input
# {"spec": <service instance spec>, "provider": <provider chosen so far>}
# and reads `selected_provider`, `rejected` and `rejection_reason` from it.
#
# Single backend (compose, Quadlet): the providers are `kcli-vm` and
# `kcli-cluster` (PROVIDER_NAME_VM / PROVIDER_NAME_CLUSTER defaults).
# Several backends (deploy/k8s/overlays): one provider pair per backend,
# named `kcli-<backend>-vm` / `kcli-<backend>-cluster`; a request picks its
# backend with the spec label `kcli-backend`, and unlabelled requests go to
# `default_backend`.
package dcm.kcli.routing

import rego.v1

# Backends with a provider pair of their own, as in deploy/k8s/overlays.
backends := {"lab-a", "lab-b"}

# Where unlabelled requests go. "" means the single-backend names (kcli-vm,
# kcli-cluster). In the multi-backend Kubernetes layout, where no provider
# has those names, set it to one of `backends`, e.g. "lab-a".
default_backend := ""

kcli_service_types := {"vm", "cluster"}

requested_backend := input.spec.metadata.labels["kcli-backend"]

main := decision if {
	input.spec.service_type in kcli_service_types
	decision := route
}

route := {"selected_provider": provider_name(default_backend)} if {
	not requested_backend
}

route := {"selected_provider": provider_name(requested_backend)} if {
	requested_backend in backends
}

route := {
	"rejected": true,
	"rejection_reason": concat("", [
		"unknown kcli backend ", requested_backend,
		"; known backends: ", concat(", ", sort(backends)),
	]),
} if {
	requested_backend
	not requested_backend in backends
}

provider_name(backend) := concat("-", ["kcli", input.spec.service_type]) if backend == ""

provider_name(backend) := concat("-", ["kcli", backend, input.spec.service_type]) if backend != ""
