#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Churn at full size (figures; the pass/fail is the suite's): the bats suite
# tests/bats/69-churn.bats with CYCLES ADD/DEL cycles (default 1,000), PAR in
# parallel (10), weftd SIGKILLed at KILLS random points (20) and restarted,
# then CNI GC; prints its "churn:" line (cycles, kills, time, ADD and DEL
# failures, leaks found). WEFTD_ARGS: weftd's flags at every start.
# The suite builds and removes its own node with the bats fixture
# (tests/bats/helpers.bash), so nothing is duplicated here.
set -euo pipefail
cd "$(dirname "$0")/.."
OUTPUT=$(realpath -m "${OUTPUT:-.output}")
log=$(mktemp /tmp/weft-churn.XXXX)
trap 'rm -f "$log"' EXIT
rc=0
CHURN_CYCLES=${CYCLES:-1000} CHURN_PAR=${PAR:-10} CHURN_KILLS=${KILLS:-20} \
	CHURN_WEFTD_ARGS=${WEFTD_ARGS:-} OUTPUT=$OUTPUT WEFT_SRC=$PWD \
	bats --tap tests/bats/69-churn.bats >"$log" 2>&1 || rc=$?
echo "== churn: ${CYCLES:-1000} ADD/DEL cycles, ${PAR:-10} in parallel, weftd SIGKILLed ${KILLS:-20} times"
grep '^# churn:' "$log" | sed 's/^# //' || true
if ((rc)); then
	echo "churn: the suite failed (leaks or broken pods); its output:" >&2
	cat "$log" >&2
fi
exit "$rc"
