#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# weft as the only CNI of a 3-node kind cluster (tests/kind/): create the
# cluster, load the image, apply the manifests, run the connectivity checks
# through kubectl, delete the cluster. Skipped, with the reason, where docker,
# a Docker engine, kind or kubectl is missing.

# Building the image and creating the cluster take minutes, not seconds.
BATS_TEST_TIMEOUT=${WEFT_KIND_TIMEOUT:-1800}

setup() {
	cd "${WEFT_SRC:-$BATS_TEST_DIRNAME/../..}"
	. tests/kind/lib.sh
	local why
	why=$(kind_missing)
	[[ -z $why ]] || skip "$why"
	export KIND_CLUSTER=weft-bats-$$
	KIND_OURS=1
}

teardown() {
	[[ -n ${KIND_OURS:-} ]] || return 0
	tests/kind/down.sh || true
}

@test "kind: weft installed by its DaemonSet connects pods across 3 nodes (ping, TCP, outside, MTU) and enforces a NetworkPolicy" {
	tests/kind/up.sh
	tests/kind/check.sh
}
