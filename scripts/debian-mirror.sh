#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Print the Debian archive URI that this machine's apt already uses for
# bookworm (e.g. a local mirror or a caching proxy), so that weft adds
# backports and deb-src from the same place and never names a mirror itself.
# Reads deb822 (*.sources) and one-line (sources.list, *.list) entries.
# Usage: scripts/debian-mirror.sh [APT_ETC]   (default /etc/apt)
set -euo pipefail

etc=${1:-/etc/apt}

# deb822: a stanza whose Types has "deb" and whose Suites has "bookworm"
# (exactly: not bookworm-security, whose archive is another tree).
from_deb822() {
	local f
	for f in "$etc"/sources.list.d/*.sources; do
		[[ -r $f ]] || continue
		awk '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && suites ~ /(^| )bookworm( |$)/ && !off && uri != "")
					{ print uri; found = 1; exit }
				types = suites = uri = ""; off = 0
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			tolower($1) == "types:" { $1 = ""; types = $0 " " }
			tolower($1) == "suites:" { $1 = ""; suites = $0 " " }
			tolower($1) == "uris:" { uri = $2 }
			tolower($1) == "enabled:" && tolower($2) == "no" { off = 1 }
			END { if (!found) flush() }
		' "$f"
	done
}

# one-line: deb [options] URI bookworm components...
from_one_line() {
	local f
	for f in "$etc"/sources.list "$etc"/sources.list.d/*.list; do
		[[ -r $f ]] || continue
		awk '
			$1 != "deb" { next }
			{ i = 2; if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ } }
			$(i + 1) == "bookworm" { print $i; exit }
		' "$f"
	done
}

uri=$( { from_deb822; from_one_line; } | head -n 1)
if [[ -z $uri ]]; then
	echo "debian-mirror: apt has no 'deb' source for bookworm under $etc; add one (your mirror) first" >&2
	exit 1
fi
printf '%s\n' "${uri%/}"
