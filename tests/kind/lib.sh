# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Shared by the kind scripts: names, tool checks, kubectl on the right context.

KIND_CLUSTER=${KIND_CLUSTER:-weft-test}
KCTX=kind-$KIND_CLUSTER
# What `make image` tags and manifests/weft.yaml runs.
WEFT_IMAGE=localhost/weft:latest
# Pods for the checks: busybox has ping, nc and sh.
CHECK_IMAGE=${CHECK_IMAGE:-busybox:1.36}
CHECK_NS=weft-check

kc() { kubectl --context "$KCTX" "$@"; }

# kind_missing: why the kind scripts cannot run here (empty when they can).
kind_missing() {
	local t
	for t in docker kind kubectl; do
		command -v "$t" >/dev/null || { echo "$t is not installed"; return; }
	done
	docker info >/dev/null 2>&1 || echo "no Docker engine answers (docker info failed)"
}

kind_need() {
	local why
	why=$(kind_missing)
	if [[ -n $why ]]; then
		echo "kind: $why" >&2
		exit 2
	fi
}

kind_cluster_exists() {
	kind get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER"
}
