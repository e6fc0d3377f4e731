#!/usr/bin/env bats
# The man pages render without warnings and document what the code has.

load helper

MAN8=$TOP/man/vfio-early.8
MAN5=$TOP/man/vfio-early.conf.5

@test "man pages pass mandoc -T lint and groff -ww without a warning" {
	command -v mandoc > /dev/null || skip "mandoc not installed"
	for m in "$MAN8" "$MAN5"; do
		run mandoc -T lint -W warning "$m"
		assert_success
		assert_output ""
		run groff -ww -man -Tutf8 -z "$m"
		assert_success
		assert_output ""
	done
}

# option_tag_problems PAGE: what is wrong with the tags of PAGE's OPTIONS,
# one line each; nothing when every option of --help has a tag of its own
# (.TP, then the line that defines it) and no definition line sits inside
# another option's paragraph (a missing .TP runs two options together).
option_tag_problems() {
	local section tags o
	section=$(sed -n '/^\.SH OPTIONS/,/^\.SH [^O]/p' "$1")
	# a definition line: "-x, --long", or "--long ARG"
	awk '/^\.BR? \\-[a-zA-Z] ", " \\-\\-/ || /^\.BI \\-\\-/ {
		if (prev != ".TP") print "a definition inside another paragraph: " $0
	} { prev = $0 }' <<< "$section"
	tags=$(awk 'prev == ".TP" { print } { prev = $0 }' <<< "$section" | sed 's/\\-/-/g')
	awk '{ n = 0; for (i = 1; i <= NF; i++) if ($i ~ /^"?--[a-z]/) n++
		if (n > 1) print "one tag, two long options: " $0 }' <<< "$tags"
	for o in $("$VFIO_EARLY" --help | grep -oE -- '(^|[ ,])--?[a-zA-Z][a-z-]*' | tr -d ' ,' | sort -u); do
		grep -qE -- "(^|[ \"])$o([ \"]|\$)" <<< "$tags" || echo "no tag of its own: $o"
	done
}

@test "vfio-early(8): every option of --help has a tag of its own in OPTIONS" {
	run option_tag_problems "$MAN8"
	assert_output ""
}

@test "the tag check catches an option run into the one before it (a missing .TP)" {
	local bad=$BATS_TEST_TMPDIR/vfio-early.8
	# the defect of issue 21: --verbose printed inside --late
	awk '$0 == ".TP" { held = 1; next }
		held { if ($0 !~ /\\-\\-verbose/) print ".TP"; held = 0 } { print }' "$MAN8" > "$bad"
	run option_tag_problems "$bad"
	assert_line 'a definition inside another paragraph: .BR \-v ", " \-\-verbose'
	assert_line "no tag of its own: --verbose"
	assert_line "no tag of its own: -v"
	# and it renders without a warning: only the structure tells
	run mandoc -T lint -W warning "$bad"
	assert_output ""
}

@test "every option of --help is in vfio-early(8)" {
	page=$(mandoc -T ascii "$MAN8" | col -b)
	opts=$("$VFIO_EARLY" --help | grep -o -- '--[a-z-]*' | sort -u)
	[ -n "$opts" ]
	for o in $opts; do
		grep -q -- "$o" <<< "$page" || fail "$o is not in vfio-early(8)"
	done
}

@test "every command-line key is in vfio-early(8)" {
	page=$(mandoc -T ascii "$MAN8" | col -b)
	# the keys cmdline.c knows, spelt as users write them
	for k in vfio_early.ids= vfio_early.devices= vfio_early=off vfio_early.allow_boot_vga=1 \
		vfio_early.dry_run=1 vfio-pci.ids=; do
		grep -qF -- "$k" <<< "$page" || fail "$k is not in vfio-early(8)"
	done
	# and the source has no key the page misses
	for k in $(grep -o '"vfio_early\.[a-z_]*"' "$TOP/src/cmdline.c" | tr -d '"' | sort -u); do
		grep -qF -- "$k" <<< "$page" || fail "$k (src/cmdline.c) is not in vfio-early(8)"
	done
}

@test "every config rule kind and option is in vfio-early.conf(5)" {
	page=$(mandoc -T ascii "$MAN5" | col -b)
	kinds=$(sed -n '/^} kinds\[\] = {/,/^};/p' "$TOP/src/config.c" | grep -o '"[a-z-]*"' | tr -d '"')
	opts=$(sed -n '/flag_opts\[\] = {/,/^};/p' "$TOP/src/config.c" | grep -o '"[a-z-]*"' | tr -d '"')
	[ -n "$kinds" ] && [ -n "$opts" ]
	for w in $kinds $opts exclude expect= functions=one functions=all; do
		grep -qF -- "$w" <<< "$page" || fail "$w is not in vfio-early.conf(5)"
	done
}

@test "the man pages' config examples parse without errors" {
	make_root two-cards
	mandoc -T ascii "$MAN5" | col -b | sed -n '/^EXAMPLES/,/^SEE ALSO/p' |
		grep -E '^[[:space:]]+(ids|address|path|class|exclude) ' | sed 's/^[[:space:]]*//' > "$ROOT/etc/vfio-early.conf"
	[ "$(wc -l < "$ROOT/etc/vfio-early.conf")" -ge 6 ]
	run "$VFIO_EARLY" --root "$ROOT" --dry-run
	assert_line --partial ", 0 rule errors"
	[ $((status & 2)) -eq 0 ]
}

@test "exit statuses in the page match the code" {
	page=$(mandoc -T ascii "$MAN8" | col -b)
	grep -q 'EXIT_RULES = 2' "$TOP/src/modes.h"
	grep -q 'EXIT_REFUSED = 4' "$TOP/src/modes.h"
	grep -q 'EXIT_FAILED = 8' "$TOP/src/modes.h"
	grep -q 'EXIT_UNCONFIRMED = 16' "$TOP/src/modes.h"
	flat=$(tr -s '[:space:]' ' ' <<< "$page")
	grep -q 'EXIT_WATCHDOG = 32' "$TOP/src/modes.h"
	grep -q 'EXIT_REPORT_WARNINGS = 64' "$TOP/src/modes.h"
	grep -q 'EXIT_REPORT_BLOCKING = 65' "$TOP/src/modes.h"
	grep -q 'EXIT_NOTHING_TO_IMPORT = 66' "$TOP/src/modes.h"
	grep -q 'REPORT_WARNINGS = EXIT_REPORT_WARNINGS' "$TOP/src/report-model.h"
	grep -q 'REPORT_BLOCKING = EXIT_REPORT_BLOCKING' "$TOP/src/report-model.h"
	grep -q "invalid rules in boot mode" <<< "$flat"
	grep -q "refused by the safety policy" <<< "$flat"
	grep -q "failed to bind" <<< "$flat"
	grep -q "on a booted host was not confirmed" <<< "$flat"
	grep -q "its own watchdog stopped the run" <<< "$flat"
	grep -q "something blocks passthrough" <<< "$flat"
	grep -q "nothing to import" <<< "$flat"
}
