#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# A kind cluster (tests/kind/kind.yaml: 1 control plane + 2 workers, no
# default CNI) running weft: the image built by scripts/image.sh (make image)
# with docker, loaded into every node, manifests/weft.yaml applied, every
# node Ready.
#   KIND_CLUSTER (default weft-test); WEFT_BASE_IMAGE (default Debian's
#   bookworm image, which a machine running kind can pull)
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
CONTAINER_ENGINE=docker WEFT_BASE_IMAGE=${WEFT_BASE_IMAGE:-docker.io/library/debian:bookworm} \
	scripts/image.sh
kind load docker-image --name "$KIND_CLUSTER" "$WEFT_IMAGE"
docker pull -q "$CHECK_IMAGE"
kind load docker-image --name "$KIND_CLUSTER" "$CHECK_IMAGE"
kc apply -f manifests/weft.yaml
kc -n kube-system rollout status daemonset/weft --timeout=300s
kc wait --for=condition=Ready nodes --all --timeout=300s
kc get nodes -o wide
