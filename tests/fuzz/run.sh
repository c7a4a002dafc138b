#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Run the libFuzzer harnesses ($OUTPUT/fuzz/fuzz_*), one at a time, under
# nice, each from its seed corpus tests/fuzz/corpus/NAME/ (never written to).
# Prints one TAP line a harness: ok with the executions reached, or not ok
# with the reproducer's path and the end of the harness's output.
#
#   tests/fuzz/run.sh [--seconds N] [--smoke] [NAME...]
#
# --seconds N   how long each harness runs (default 60)
# --smoke       what tests/run.sh runs: a fresh corpus in a temp directory;
#               without it the corpus grows in $OUTPUT/fuzz/corpus/NAME/
#               across runs (make fuzz)
# NAME          only these harnesses ("api", "fuzz_api" or a part of a name)
set -uo pipefail

cd "$(dirname "$0")/../.."
OUTPUT=$(realpath -m "${OUTPUT:-.output}")
seconds=60 smoke=0 names=()
while (($#)); do
	case $1 in
	--seconds) seconds=$2 && shift ;;
	--smoke) smoke=1 ;;
	*) names+=("${1#fuzz_}") ;;
	esac
	shift
done
# A smaller quarantine than ASan's 256 MiB: on this kind of VM the page faults
# of a large one cost more than half the executions.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=8}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

wanted() {
	local n
	((${#names[@]})) || return 0
	for n in "${names[@]}"; do
		[[ $1 == *"$n"* ]] && return 0
	done
	return 1
}

bins=()
for bin in "$OUTPUT"/fuzz/fuzz_*; do
	[[ -x $bin && $bin != *.[oda] ]] || continue
	wanted "$(basename "$bin" | sed 's/^fuzz_//')" && bins+=("$bin")
done
echo "1..${#bins[@]}"
((${#bins[@]})) || exit 0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0 failed=0
for bin in "${bins[@]}"; do
	i=$((i + 1))
	name=$(basename "$bin" | sed 's/^fuzz_//')
	seed=tests/fuzz/corpus/$name
	if [[ $name == datapath && $(id -u) != 0 ]]; then
		echo "ok $i - fuzz $name # skip needs root (BPF_PROG_TEST_RUN)"
		continue
	fi
	if ((smoke)); then
		work=$tmp/corpus-$name
	else
		work=$OUTPUT/fuzz/corpus/$name
	fi
	crashes=$OUTPUT/fuzz/crashes/$name
	mkdir -p "$work" "$crashes"
	log=$tmp/$name.log
	nice -n 19 "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$crashes/" \
		"$work" $([[ -d $seed ]] && echo "$seed") >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if ((rc == 0)); then
		echo "ok $i - fuzz $name: ${runs:-?} executions in ${seconds}s"
		continue
	fi
	failed=$((failed + 1))
	repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
	echo "not ok $i - fuzz $name: exit $rc after ${runs:-?} executions; reproducer: ${repro:-none}"
	tail -n 25 "$log" | sed 's/^/# /'
	[[ -n $repro ]] && echo "# replay: $bin $repro"
done
((failed == 0))
