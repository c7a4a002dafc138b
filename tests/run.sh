#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Run every test: C unit tests, BPF tests (BPF_PROG_TEST_RUN), a short run of
# each fuzz harness and the bats suites, all producing TAP. Ends with one line "N passed, N failed, N skipped"
# and exits non-zero on any failure.
#
#   tests/run.sh              everything
#   tests/run.sh FILTER       only test binaries / bats files whose name contains FILTER
#   tests/run.sh --unit [FILTER]  only the C unit and BPF tests
#
# Against a sanitizer build (make SANITIZE=1, OUTPUT=.output-san) every report
# lands under $OUTPUT/sanitizer/ (tests/sanitize/options.c): a report found
# there after a test binary or bats file fails it, with the report shown.
set -uo pipefail

cd "$(dirname "$0")/.."
OUTPUT=${OUTPUT:-.output}
export OUTPUT=$(realpath -m "$OUTPUT")
export WEFT_SRC=$PWD
unit_only=0
if [[ ${1:-} == --unit ]]; then
	unit_only=1
	shift
fi
filter=${1:-}
sanitized=0
[[ -e $OUTPUT/tests/sanitize/options.o ]] && sanitized=1
# A hung test fails on its own instead of stalling the run (bats >= 1.7);
# ASan and UBSan make everything about twice as slow.
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-$((sanitized ? 240 : 120))}

passed=0 failed=0 skipped=0 broken=()

# count_tap NAME: read TAP on stdin, echo it, add to the totals
count_tap() {
	local name=$1 line plan=0 seen=0
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case $line in
		"not ok"*) failed=$((failed + 1)) seen=$((seen + 1)) ;;
		"ok "*"# skip"* | "ok "*"# SKIP"*) skipped=$((skipped + 1)) seen=$((seen + 1)) ;;
		"ok "*) passed=$((passed + 1)) seen=$((seen + 1)) ;;
		1..*) plan=${line#1..} ;;
		esac
	done
	# A binary that crashed before its plan counts as a failure, never as silence.
	if ((seen == 0 || (plan > 0 && seen < plan))); then
		failed=$((failed + 1))
		broken+=("$name")
		echo "not ok - $name ended early ($seen of ${plan:-?} results)"
	fi
}

# san_check NAME: a sanitizer report written since the last check fails NAME
# (one result), shown, and moved aside so the next check starts clean.
san_dir=$OUTPUT/sanitizer
san_check() {
	local name=$1 f found=0
	[[ -d $san_dir ]] || return 0
	for f in "$san_dir"/report.*; do
		[[ -e $f ]] || continue
		found=1
		echo "# sanitizer report after $name: $f"
		sed 's/^/#   /' "$f"
		mkdir -p "$san_dir/seen"
		mv "$f" "$san_dir/seen/$name.$(basename "$f")"
	done
	if ((found)); then
		echo "not ok - $name: sanitizer report (above)"
		failed=$((failed + 1))
		broken+=("$name")
	fi
	return 0
}
# Reports of an earlier run are not this run's.
if [[ -d $san_dir ]]; then
	rm -rf "$san_dir/seen"
	rm -f "$san_dir"/report.*
fi

run_bin() {
	local bin=$1 name
	name=$(basename "$bin")
	[[ -n $filter && $name != *"$filter"* ]] && return
	echo "# $name"
	count_tap "$name" < <("$bin" 2>&1)
	san_check "$name"
}

for bin in "$OUTPUT"/tests/unit/test_*; do
	[[ -x $bin && $bin != *.[od] ]] && run_bin "$bin"
done
for bin in "$OUTPUT"/tests/bpf/test_*; do
	[[ -x $bin && $bin != *.[od] ]] && run_bin "$bin"
done

if ((unit_only)); then
	((${#broken[@]})) && echo "# ended early or reported: ${broken[*]}"
	echo
	echo "$passed passed, $failed failed, $skipped skipped"
	((failed == 0))
	exit
fi

# The libFuzzer harnesses, a few seconds each from their seed corpora (which
# hold the reproducers of every crash they found): one TAP line a harness.
fuzz_names=()
for bin in "$OUTPUT"/fuzz/fuzz_*; do
	[[ -x $bin && $bin != *.[oda] ]] || continue
	name=$(basename "$bin")
	[[ -n $filter && $name != *"$filter"* ]] && continue
	fuzz_names+=("$name")
done
if ((${#fuzz_names[@]})); then
	echo "# fuzz (${FUZZ_SMOKE_SECONDS:-4} s each)"
	count_tap fuzz < <(tests/fuzz/run.sh --smoke --seconds "${FUZZ_SMOKE_SECONDS:-4}" \
		"${fuzz_names[@]}" 2>&1)
fi

# The suites that run the image (scripts/image.sh builds weftd and the plugin
# from source inside it, unsanitized) test nothing of a sanitizer build.
san_skip=" 80-kind 87-image 94-k8s-install "

for f in tests/bats/*.bats; do
	[[ -e $f ]] || continue
	name=$(basename "$f" .bats)
	[[ -n $filter && $name != *"$filter"* ]] && continue
	echo "# bats $name"
	if ((sanitized)) && [[ $san_skip == *" $name "* ]]; then
		echo "ok 1 $name # skip sanitizer build: the suite runs the image, whose weftd and plugin are built unsanitized inside it"
		skipped=$((skipped + 1))
		continue
	fi
	# 54-leaks runs 200 ADD/DEL cycles and 1,000 requests against an
	# ASan weftd in one test: about 100 s on an idle 2-core machine.
	timeout=$BATS_TEST_TIMEOUT
	[[ $name == 54-leaks ]] && timeout=$((BATS_TEST_TIMEOUT * 3))
	count_tap "$name" < <(BATS_TEST_TIMEOUT=$timeout bats --tap "$f" 2>&1)
	san_check "$name"
done

((${#broken[@]})) && echo "# ended early or reported: ${broken[*]}"
echo
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
