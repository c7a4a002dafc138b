#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Delete the kind cluster made by up.sh (nothing to do if it is not there).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/kind/lib.sh
kind_need
if kind_cluster_exists; then
	kind delete cluster --name "$KIND_CLUSTER"
fi
