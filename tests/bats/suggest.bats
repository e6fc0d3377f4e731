#!/usr/bin/env bats
# Every rule vfio-early tells the user to paste into /etc/vfio-early.conf
# selects what it promises.  --report's "to select it" rules (and
# select_rules in --report --json) each select exactly one card: pasted as
# the only line of the config of the fixture's machine, without its old
# passthrough recipe, a dry run binds exactly the card's functions and
# refuses nothing.  The card is worked out here from the fixture's spec
# lines (vfio-early.conf(5), THE CARD), not by the program.  A card the
# report offers no rule for must be one the safety policy refuses whatever
# the rule, for the reason the report gives.  --import's rules are checked
# the same way.

bats_require_minimum_version 1.5.0

load realhw

# spec_load FILE: the pci lines of a spec, by address: VENDOR, CLASS,
# PARENT, VF (set for a VF); ADDRS in the spec's order.
spec_load() {
	local line w kv a
	declare -gA VENDOR=() CLASS=() PARENT=() VF=()
	ADDRS=()
	while IFS= read -r line; do
		read -r -a w <<< "$line"
		[ "${w[0]:-}" = pci ] || continue
		a=${w[1]}
		ADDRS+=("$a")
		PARENT[$a]=""
		VF[$a]=""
		for kv in "${w[@]:2}"; do
			case $kv in
			ids=*) kv=${kv#ids=}; VENDOR[$a]=${kv%%:*} ;;
			class=*) CLASS[$a]=${kv#class=} ;;
			parent=*) PARENT[$a]=${kv#parent=} ;;
			vf-of=*) VF[$a]=1 ;;
			esac
		done
	done < "$1"
}

is_bridge() { [ "${CLASS[$1]:0:2}" = 06 ]; }

# below A UP: UP is an ancestor of A.
below() {
	local a=${PARENT[$1]}
	while [ -n "$a" ]; do
		[ "$a" = "$2" ] && return 0
		a=${PARENT[$a]:-}
	done
	return 1
}

# endpoint A V: A is a function of vendor V that can belong to a card.
endpoint() { [ "${VENDOR[$1]}" = "$2" ] && ! is_bridge "$1" && [ -z "${VF[$1]}" ]; }

# expected_card ADDR: the card of ADDR, sorted addresses on one line.  The
# endpoints of its vendor below the card's own switch (a downstream and an
# upstream port of its vendor, below a root port, with a display function
# among them), else the functions of its slot made by its vendor.
expected_card() {
	local d=$1 v=${VENDOR[$1]} p=${PARENT[$1]} g="" a display=0 mine=0 out=()
	[ -n "$p" ] && g=${PARENT[$p]:-}
	if [ -n "$g" ] && [ -n "${PARENT[$g]:-}" ] && is_bridge "$p" && is_bridge "$g" &&
		[ "${VENDOR[$p]}" = "$v" ] && [ "${VENDOR[$g]}" = "$v" ]; then
		for a in "${ADDRS[@]}"; do
			endpoint "$a" "$v" && below "$a" "$g" || continue
			out+=("$a")
			[ "${CLASS[$a]:0:2}" = 03 ] && display=1
			[ "$a" = "$d" ] && mine=1
		done
		[ $display = 1 ] && [ $mine = 1 ] || out=()
	fi
	if [ ${#out[@]} = 0 ]; then
		for a in "${ADDRS[@]}"; do
			[ "${a%.*}" = "${d%.*}" ] && endpoint "$a" "$v" && out+=("$a")
		done
	fi
	printf '%s\n' "${out[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

# fixture SPEC [EXTRA-SPEC-LINES]: $ROOT is the machine of the fixture, as
# published; its spec is loaded.
fixture() {
	SPEC=$1
	make_root "$SPEC" "${2:-}"
	spec_load "$BATS_TEST_TMPDIR/spec"
}

# bare: $ROOT without its passthrough recipe: no modprobe.d file that
# names vfio, no vfio-pci.ids= or vfio_early.* on the command line, no config.
bare() {
	local f
	for f in "$ROOT"/etc/modprobe.d/*; do
		[ -f "$f" ] && grep -q vfio "$f" && rm -f "$f"
	done
	set_cmdline "$(sed -E 's/(^| )(vfio[-_]pci\.ids|vfio[-_]early[._][^= ]*)=[^ ]*//g' "$ROOT/proc/cmdline")"
	rm -f "$ROOT/etc/vfio-early.conf"
}

# text_rules: "DEVICE<TAB>RULE" for every rule of every "to select it" line
# of the report in $output.
text_rules() {
	awk '/^  [0-9a-f][0-9a-f][0-9a-f][0-9a-f]:/ { dev = $1 }
	/^      to select it: / {
		line = $0
		while (match(line, /"[^"]*"/)) {
			print dev "\t" substr(line, RSTART + 1, RLENGTH - 2)
			line = substr(line, RSTART + RLENGTH)
		}
	}' <<< "$output"
}

# text_refused: "DEVICE<TAB>WHY" for every "no rule to paste" line.
text_refused() {
	awk '/^  [0-9a-f][0-9a-f][0-9a-f][0-9a-f]:/ { dev = $1 }
	/^      no rule to paste: / { sub(/^      no rule to paste: /, ""); print dev "\t" $0 }' <<< "$output"
}

# The same from the JSON report in $output.
json_rules() { jq -r '.devices[] | .address as $a | .select_rules[] | "\($a)\t\(.)"' <<< "$output"; }
json_refused() { jq -r '.devices[] | select(.select_refused) | "\(.address)\t\(.select_refused)"' <<< "$output"; }

# report_rules: the rules and refusals of the report of $ROOT, text and JSON
# agreeing, appended to $RULES and $REFUSED.
report_rules() {
	local text json
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report
	text=$(text_rules)
	RULES+=$text$'\n'
	REFUSED+=$(text_refused)$'\n'
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report --json
	json=$(json_rules)
	[ "$text" = "$json" ] || fail "$SPEC: the text report's rules:"$'\n'"$text"$'\n'"the JSON's:"$'\n'"$json"
}

# dry CONFIG-LINE...: the dry run of $ROOT with only these lines as its config.
dry() {
	printf '%s\n' "$@" > "$ROOT/etc/vfio-early.conf"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --dry-run
	grep -q ', 0 rule errors' <<< "$output" || fail "$SPEC: a rule error in: $*"$'\n'"$output"
}

refusals() { grep ': refused: ' <<< "$output" || true; }

# paste_check DEVICE RULE...: the rules, as the whole config, bind exactly
# DEVICE's card and refuse nothing.
paste_check() {
	local dev=$1 want
	shift
	want=$(expected_card "$dev")
	dry "$@"
	[ -z "$(refusals)" ] || fail "$SPEC: \"$*\" (for $dev) is refused:"$'\n'"$(refusals)"
	[ "$(would_bind)" = "$want" ] ||
		fail "$SPEC: \"$*\" (for $dev) would bind '$(would_bind)'; the card is '$want'"
	CHECKED=$((CHECKED + 1))
}

# fix_check RULE: when the report of $ROOT with RULE as its config says to
# add a line (a group half on vfio-pci), RULE and that line bind the whole
# group, refuse nothing, and the report has no half group left.
fix_check() {
	local rule=$1 line
	printf '%s\n' "$rule" > "$ROOT/etc/vfio-early.conf"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report
	line=$(sed -n 's/.*fix: .*add the line "\([^"]*\)" to .*/\1/p' <<< "$output")
	[ -n "$line" ] || return 0
	dry "$rule" "$line"
	[ -z "$(refusals)" ] || fail "$SPEC: \"$rule\" and the fix's \"$line\" are refused:"$'\n'"$(refusals)"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report
	refute_line --partial "is not usable for a VM"
	FIXES=$((FIXES + 1))
}

# refused_check DEVICE WHY: an address rule of each function of DEVICE's
# card is refused, for WHY ("ADDR reason" or a reason of every device).
refused_check() {
	local dev=$1 why=$2 a addrs=() who reason
	for a in $(expected_card "$dev"); do
		addrs+=("$a")
	done
	dry "address ${addrs[*]}"
	if [[ $why =~ ^([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f])\ (.*)$ ]]; then
		who=${BASH_REMATCH[1]} reason=${BASH_REMATCH[2]}
		grep -qF "$who " <<< "$(refusals)" && grep -qF ": refused: $reason (rule" <<< "$(refusals)" ||
			fail "$SPEC: the report says $dev cannot go ($why), the dry run:"$'\n'"$output"
	else
		grep -qF ": refused: $why (rule" <<< "$(refusals)" ||
			fail "$SPEC: the report says $dev cannot go ($why), the dry run:"$'\n'"$output"
	fi
	[ -z "$(would_bind)" ] || fail "$SPEC: $dev cannot go ($why), yet the dry run binds $(would_bind)"
	REFUSALS=$((REFUSALS + 1))
}

# check_fixture SPEC: every suggestion of the report of SPEC, as published
# and without its recipe, pasted alone into the bare machine.
check_fixture() {
	local dev rule why
	RULES="" REFUSED=""
	fixture "$1"
	report_rules
	bare
	report_rules
	while IFS=$'\t' read -r dev rule; do
		[ -n "$dev" ] || continue
		paste_check "$dev" "$rule"
		fix_check "$rule"
	done < <(printf '%s' "$RULES" | sort -u)
	while IFS=$'\t' read -r dev why; do
		[ -n "$dev" ] && refused_check "$dev" "$why"
	done < <(printf '%s' "$REFUSED" | sort -u)
	return 0
}

@test "every rule --report offers, on every real-machine fixture, selects exactly its card" {
	command -v jq > /dev/null || skip "jq not installed"
	local spec n=0
	CHECKED=0 REFUSALS=0 FIXES=0
	for spec in "$TOP"/tests/fixtures/*.spec; do
		check_fixture "$(basename "$spec" .spec)"
		n=$((n + 1))
	done
	[ "$n" -ge 20 ] || fail "only $n fixtures"
	# Nearly every fixture has a card to offer: a parser that found none would pass.
	[ "$CHECKED" -ge 30 ] || fail "only $CHECKED suggestions checked"
	[ "$REFUSALS" -ge 1 ] || fail "no card without a rule was checked"
	# the APUs' groups hold the chipset's functions too
	[ "$FIXES" -ge 1 ] || fail "no fix for a half group was checked"
	echo "# $CHECKED suggested rules pasted and checked on $n fixtures; $REFUSALS cards without a rule, refused as the report says; $FIXES group fixes added and checked" >&3
}

@test "the APU's graphics: its two functions, never the chipset's functions of its slot" {
	fixture apu-phoenix-rtx4060
	bare
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report
	rules=$(text_rules | grep '^0000:05:00.0' | cut -f2)
	assert_equal "$rules" "ids 1002:15bf allow-boot-vga
address 0000:05:00.0 0000:05:00.1 allow-boot-vga"
	while IFS= read -r rule; do
		dry "$rule"
		assert_equal "$(would_bind)" "0000:05:00.0 0000:05:00.1"
		assert_equal "$(refusals)" ""
	done <<< "$rules"
	# The slot's address, the old suggestion, takes seven functions (and is refused).
	dry "address 0000:05:00 allow-boot-vga"
	assert_equal "$(would_bind)" "0000:05:00.0 0000:05:00.1 0000:05:00.2 0000:05:00.3 0000:05:00.4 0000:05:00.5 0000:05:00.6"
}

@test "the Arc A770: its GPU and the HDMI audio on the next bus, below the card's switch" {
	fixture arc-a770
	bare
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report
	rules=$(text_rules | grep '^0000:03:00.0' | cut -f2)
	assert_equal "$rules" "ids 8086:56a0
address 0000:03:00 0000:04:00"
	while IFS= read -r rule; do
		dry "$rule"
		assert_equal "$(would_bind)" "0000:03:00.0 0000:04:00.0"
		assert_equal "$(refusals)" ""
	done <<< "$rules"
}

@test "two identical cards: each card's rules take that card alone; the boot display's allow it" {
	fixture two-cards
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report
	assert_equal "$(text_rules)" "0000:0a:00.0	address 0000:0a:00 allow-boot-vga
0000:0a:00.0	path 0000:00:03.1/00 expect=10de:2204 allow-boot-vga
0000:0b:00.0	address 0000:0b:00
0000:0b:00.0	path 0000:00:03.2/00 expect=10de:2204"
	for rule in "address 0000:0a:00 allow-boot-vga" "path 0000:00:03.1/00 expect=10de:2204 allow-boot-vga"; do
		dry "$rule"
		assert_equal "$(would_bind)" "0000:0a:00.0 0000:0a:00.1"
		assert_equal "$(refusals)" ""
	done
	for rule in "address 0000:0b:00" "path 0000:00:03.2/00 expect=10de:2204"; do
		dry "$rule"
		assert_equal "$(would_bind)" "0000:0b:00.0 0000:0b:00.1"
		assert_equal "$(refusals)" ""
	done
}

@test "a boot-VGA card: the rule carries allow-boot-vga; without it the dry run refuses the card" {
	fixture threadripper-x399
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report
	REPORT=$output
	run device_report 0000:09:00.0
	assert_line "      to select it: \"address 0000:09:00 allow-boot-vga\" or \"path 0000:00:03.1/00 expect=10de:1b06 allow-boot-vga\" in /etc/vfio-early.conf"
	run device_report 0000:42:00.0
	assert_line "      to select it: \"address 0000:42:00\" or \"path 0000:40:03.1/00 expect=10de:1b06\" in /etc/vfio-early.conf"
	dry "address 0000:09:00 allow-boot-vga"
	assert_equal "$(would_bind)" "0000:09:00.0 0000:09:00.1"
	assert_equal "$(refusals)" ""
	dry "address 0000:09:00"
	assert_equal "$(would_bind)" ""
	assert_line --partial "0000:09:00.0 [10de:1b06] class 030000: refused: is the boot VGA device"
}

@test "a card sharing its group with the root disk: no rule to paste, and why" {
	fixture shared-group
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report
	REPORT=$output
	run device_report 0000:02:00.0
	assert_line "      no rule to paste: 0000:02:00.0 shares IOMMU group 11 with 0000:03:00.0, which holds the root filesystem (root=UUID=6b2d1c0e-1111-4222-8333-944455556666)"
	refute_line --partial "to select it"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report --json
	assert_equal "$(jq -r '.devices[] | select(.address == "0000:02:00.0") | .select_rules | length' <<< "$output")" 0
	assert_equal "$(jq -r '.devices[] | select(.address == "0000:02:00.0") | .select_refused' <<< "$output")" \
		"0000:02:00.0 shares IOMMU group 11 with 0000:03:00.0, which holds the root filesystem (root=UUID=6b2d1c0e-1111-4222-8333-944455556666)"
}

# import_check: the config --import prints for $ROOT, pasted as the whole
# config of the bare machine, binds what its listing says the ids select
# and refuses nothing a rule option could allow; each identical card's
# address rule alone, and its path rules together, take that card alone.
import_check() {
	local conf listed card rule paths=() f0 dev
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --import
	IMPORTED=$output
	conf=$(grep -v -e '^#' -e '^$' <<< "$IMPORTED" || true)
	[ -n "$conf" ] || return 0
	listed=$(sed -n 's/^#   \([0-9a-f]\{4\}:[0-9a-f:.]*\) \[.*/\1/p' <<< "$IMPORTED" | sort | tr '\n' ' ' | sed 's/ $//')
	bare
	dry "$conf"
	if grep -E 'boot VGA|storage controller|network controller|the rule expects' <<< "$(refusals)"; then
		fail "$SPEC: the imported config is refused for what a rule option allows:"$'\n'"$conf"$'\n'"$output"
	fi
	got=$( { would_bind | tr ' ' '\n'; echo; refusals | cut -d' ' -f1; } | grep . | sort | tr '\n' ' ' | sed 's/ $//')
	[ "$got" = "$listed" ] || fail "$SPEC: the import lists '$listed', the dry run takes '$got'"
	CHECKED=$((CHECKED + 1))
	# The identical cards' rules, card by card.
	while IFS= read -r card; do
		f0=$(sed -n 's/^#   card [0-9]*, \([^ ]*\) .*/\1/p' <<< "$card")
		rule=$(sed -n "/^#   card [0-9]*, $f0 /,/^#   card\|^\$/p" <<< "$IMPORTED" | sed -n 's/^#     \(address .*\)/\1/p')
		paste_check "$f0" "$rule"
		CARDS=$((CARDS + 1))
		mapfile -t paths < <(sed -n "/^#   card [0-9]*, $f0 /,/^#   card\|^\$/p" <<< "$IMPORTED" | sed -n 's/^#     \(path .*\)/\1/p')
		[ ${#paths[@]} = 0 ] || paste_check "$f0" "${paths[@]}"
	done < <(grep '^#   card [0-9]*, ' <<< "$IMPORTED" || true)
}

@test "every config --import prints, on every fixture, binds what it lists; identical cards' rules take one card" {
	local spec n=0 ids
	CHECKED=0 CARDS=0
	for spec in "$TOP"/tests/fixtures/*.spec; do
		# the fixture's own recipe, if it has one
		fixture "$(basename "$spec" .spec)"
		import_check
		# a recipe of every display card's ids (identical cards among them)
		fixture "$(basename "$spec" .spec)"
		bare
		ids=""
		for a in "${ADDRS[@]}"; do
			[ "${CLASS[$a]:0:2}" = 03 ] && [ -n "${PARENT[$a]}" ] && [ -z "${VF[$a]}" ] || continue
			ids="$ids,$(cat "$ROOT/sys/bus/pci/devices/$a/vendor" | sed 's/^0x//'):$(sed 's/^0x//' "$ROOT/sys/bus/pci/devices/$a/device")"
		done
		if [ -n "$ids" ]; then
			mkdir -p "$ROOT/etc/modprobe.d"
			echo "options vfio-pci ids=${ids#,}" > "$ROOT/etc/modprobe.d/vfio.conf"
			import_check
		fi
		n=$((n + 1))
	done
	[ "$CHECKED" -ge 25 ] || fail "only $CHECKED imported rules checked"
	# two-cards and the Threadripper have two identical cards each
	[ "$CARDS" -ge 4 ] || fail "only $CARDS identical cards' rules checked"
	echo "# $CHECKED imported configs and card rules pasted and checked on $n fixtures ($CARDS identical cards)" >&3
}

@test "identical cards, one sharing its slot with another vendor's function: the addresses of its own functions" {
	fixture two-cards "pci 0000:0b:00.2 parent=0000:00:03.2 ids=1022:43b9 class=0c0330 group=21 driver=xhci_hcd
file etc/modprobe.d/vfio.conf options vfio-pci ids=10de:2204"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --import
	assert_line "#     address 0b:00.0 0b:00.1"
	refute_line --partial "#     path 00:03.2/00"
	bare
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report
	# the ids are not the card's alone, and the slot is not: only its functions' addresses
	assert_equal "$(text_rules | grep '^0000:0b:00.0' | cut -f2)" "address 0000:0b:00.0 0000:0b:00.1"
	for rule in "address 0b:00.0 0b:00.1" "address 0000:0b:00.0 0000:0b:00.1"; do
		dry "$rule"
		assert_equal "$(would_bind)" "0000:0b:00.0 0000:0b:00.1"
		assert_equal "$(refusals)" ""
	done
}
