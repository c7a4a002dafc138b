#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# A kind cluster (tests/kind/kind.yaml: 1 control plane + 2 workers, no
# default CNI) running weft: the image built from manifests/Containerfile,
# loaded into every node, manifests/weft.yaml applied, every node Ready.
#   KIND_CLUSTER (default weft-test), WEFT_IMAGE (default weft:latest)
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/kind/lib.sh
kind_need

if kind_cluster_exists; then
	echo "kind: cluster $KIND_CLUSTER exists; reusing it"
else
	# Without a CNI the nodes stay NotReady: do not wait for them here.
	kind create cluster --name "$KIND_CLUSTER" --config tests/kind/kind.yaml --wait 0s
fi
docker build -f manifests/Containerfile -t "$WEFT_IMAGE" .
kind load docker-image --name "$KIND_CLUSTER" "$WEFT_IMAGE"
docker pull -q "$CHECK_IMAGE"
kind load docker-image --name "$KIND_CLUSTER" "$CHECK_IMAGE"

manifest=manifests/weft.yaml
if [[ $WEFT_IMAGE != weft:latest ]]; then
	manifest=$(mktemp)
	trap 'rm -f "$manifest"' EXIT
	sed "s|image: weft:latest|image: $WEFT_IMAGE|" manifests/weft.yaml >"$manifest"
fi
kc apply -f "$manifest"
kc -n kube-system rollout status daemonset/weft --timeout=300s
kc wait --for=condition=Ready nodes --all --timeout=300s
kc get nodes -o wide
