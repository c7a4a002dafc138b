#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# All benchmarks; figures only (they are not tests). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
bench/add_latency.sh
echo
bench/throughput.sh
echo
bench/cross_node.sh
echo
bench/upgrade.sh
echo
bench/policy_throughput.sh
echo
bench/policy_apply.sh
echo
bench/churn.sh
echo
# Per-packet cost of policy and conntrack (BPF_PROG_TEST_RUN, no namespaces).
"$(realpath -m "${OUTPUT:-.output}")/bench/policy_cost"
