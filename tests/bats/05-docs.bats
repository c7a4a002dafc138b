#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# README.md's flag tables and --help name the same flags, both ways: a flag
# added to a table in the code must be documented, and a documented flag must
# exist. Needs only the built binaries: no namespaces, no root.

: "${WEFT_SRC:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
: "${OUTPUT:=$WEFT_SRC/.output}"
README=${README:-$WEFT_SRC/README.md}

# help_flags BIN: the flags BIN --help declares (option lines only, not the
# flags its help text mentions), short and long, one per line.
help_flags() {
	"$1" --help | sed -nE \
		-e 's/^  (-[A-Za-z]), (--[a-z][a-z0-9-]*).*/\1\n\2/p' \
		-e 's/^      (--[a-z][a-z0-9-]*).*/\1/p' | sort -u
}

# readme_section NAME: the lines of README's "### NAME" section.
readme_section() {
	awk -v h="### $1" '$0 == h { on = 1; next } /^##/ { on = 0 } on' "$README"
}

# readme_flags NAME: the flags in the first column of that section's table.
readme_flags() {
	readme_section "$1" | grep -E '^\| `-' | cut -d'|' -f2 |
		grep -oE '`-{1,2}[A-Za-z][a-z0-9-]*`' | tr -d '`' | sort -u
}

# same_flags NAME: --help and the README table agree; the diff says which
# flag is on one side only.
same_flags() {
	local help readme
	help=$(help_flags "$OUTPUT/$1")
	readme=$(readme_flags "$1")
	# An empty side would make a renamed heading or a broken --help pass.
	[[ $help == *--help* ]] || { echo "$1 --help lists no flags"; return 1; }
	[[ $readme == *--help* ]] || { echo "README.md has no ### $1 flag table"; return 1; }
	run diff <(echo "$help") <(echo "$readme")
	if [ "$status" -ne 0 ]; then
		echo "$1: only in --help (<), only in README.md's table (>):"
		echo "$output"
		return 1
	fi
}

@test "weftd: every flag in --help is in README.md's table, and every flag there in --help" {
	same_flags weftd
}

@test "weftctl: every flag in --help is in README.md's table, and every flag there in --help" {
	same_flags weftctl
}

@test "weftctl: README.md's usage line names the commands --help lists" {
	local help readme
	help=$("$OUTPUT/weftctl" --help | awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 }
		on && /^  [a-z]/ { print $1 }' | sort)
	readme=$(readme_section weftctl | sed -nE 's/^weftctl \[OPTIONS\] ([a-z|]+)$/\1/p' |
		tr '|' '\n' | sort)
	[ -n "$help" ]
	run diff <(echo "$help") <(echo "$readme")
	echo "$output"
	[ "$status" -eq 0 ]
}
