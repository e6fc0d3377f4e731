#!/usr/bin/env bats
# Every vfio-early command and config block in README.md works.  (Install,
# initramfs and boot commands are exercised by tests/boot and tests/deb;
# make demo by its own run.)

bats_require_minimum_version 1.5.0

load helper

README=$TOP/README.md

@test "README config blocks parse without a rule error and select the guide's card" {
	make_root proxmox-3090
	awk '/^```conf/ { on = 1; next } /^```/ { on = 0 } on' "$README" > "$ROOT/etc/vfio-early.conf"
	[ "$(grep -c . "$ROOT/etc/vfio-early.conf")" -ge 4 ]
	run "$VFIO_EARLY" --root "$ROOT" --dry-run
	assert_line --partial ", 0 rule errors"
	assert_line --partial "0000:09:00.0 [10de:2204] class 030000: would bind to vfio-pci"
	assert_line --partial "0000:09:00.1 [10de:1aef] class 040300: would bind to vfio-pci"
}

@test "the two-identical-cards rule of the README takes only that card" {
	make_root two-cards
	grep -E '^path ' "$README" > "$ROOT/etc/vfio-early.conf"
	run "$VFIO_EARLY" --root "$ROOT" --dry-run
	assert_success
	assert_line --partial "0000:0b:00.0 [10de:2204] class 030000: would bind to vfio-pci"
	refute_line --partial "0000:0a:00.0 [10de:2204] class 030000: would bind"
}

@test "every vfio-early command in the README runs (under --root) with a documented status" {
	make_root proxmox-3090
	mkdir -p "$ROOT/etc/modprobe.d"
	cp "$TOP/tests/fixtures/modprobe/guide/"*.conf "$ROOT/etc/modprobe.d/"
	cmds=$(grep -E '^ {4}vfio-early ' "$README" | sed -e 's/^ *//' -e 's/ *#.*$//' | sort -u)
	[ "$(wc -l <<< "$cmds")" -ge 5 ]
	while IFS= read -r cmd; do
		# placeholders of the synopsis are not commands
		case $cmd in *"|"*|*"["*) continue ;; esac
		read -r -a argv <<< "${cmd#vfio-early }"
		out=()
		for a in "${argv[@]}"; do
			case $a in
			">"|/tmp/*) ;;		# redirections go to the test dir
			DIR) out+=("$BATS_TEST_TMPDIR/capture.$RANDOM") ;;
			*) out+=("$a") ;;
			esac
		done
		run "$VFIO_EARLY" --root "$ROOT" "${out[@]}"
		# documented: a sum below 64, or --report's 64 and 65, --import's 66
		case "$status" in
		[0-9]|[1-5][0-9]|6[0-6]) ;;
		*) fail "'$cmd' exited with $status: $output" ;;
		esac
		[ -n "$output" ] || fail "'$cmd' printed nothing"
	done <<< "$cmds"
}

@test "the README's kernel parameters are the ones the program reads" {
	for k in $(grep -o '`vfio[-_a-z.]*=' "$README" | tr -d '`' | sort -u); do
		grep -qF -- "${k%=}" "$TOP/man/vfio-early.8" || fail "$k is in the README but not in vfio-early(8)"
	done
}

@test "the quick-start make targets exist" {
	run make -C "$TOP" -n demo
	assert_success
	run make -C "$TOP" -n test
	assert_success
}

@test "the table of contents points at real sections" {
	for a in $(grep -o '](#[a-z-]*)' "$README" | sed 's/](#\(.*\))/\1/'); do
		grep -qi "^## $(tr '-' ' ' <<< "$a")\$" "$README" || fail "no section for #$a"
	done
}

@test "the README's APU suggestion is the report's, and each of its rules takes the two functions" {
	make_root apu-phoenix-rtx4060
	line=$(grep -E '^ {4}to select it: ' "$README" | sed 's/^ *//')
	[ -n "$line" ]
	run "$VFIO_EARLY" --root "$ROOT" --report
	assert_line "      $line"
	rules=$(grep -o '"[^"]*"' <<< "$line" | tr -d '"')
	[ "$(wc -l <<< "$rules")" -eq 2 ]
	while IFS= read -r rule; do
		printf '%s\n' "$rule" > "$ROOT/etc/vfio-early.conf"
		run "$VFIO_EARLY" --root "$ROOT" --dry-run
		assert_line --partial ", 0 refused, 0 rule errors"
		assert_equal "$(grep -c ': would bind to vfio-pci' <<< "$output")" 2
		assert_line --partial "0000:05:00.0 [1002:15bf] class 030000: would bind to vfio-pci"
		assert_line --partial "0000:05:00.1 [1002:1640] class 040300: would bind to vfio-pci"
	done <<< "$rules"
}

# walkthrough: "STEP<TAB>COMMAND" for each command of the README's "Set up
# passthrough" blocks (a "<!-- walkthrough STEP -->" line, then a sh fence).
walkthrough() {
	awk '/^<!-- walkthrough [a-z]+ -->$/ { step = $3; want = 1; next }
		want && /^```sh$/ { on = 1; next }
		on && /^```$/ { on = 0; want = 0; next }
		on { print step "\t" $0 }' "$README"
}

# sample STEP: the indented output shown after STEP's block, without its indent.
sample() {
	awk -v s="<!-- walkthrough $1 -->" '$0 == s { f = 1; next }
		f == 1 && /^```$/ { f = 2; next }
		f == 2 && /^    / { print substr($0, 5); got = 1; next }
		f == 2 && got && !/^    / { exit }' "$README"
}

# The machine behind the walkthrough's commands: vfio-early under --root,
# the config at its place in the fake root, the image build recorded, and a
# reboot that runs the early pass as the initramfs would (overrides reset,
# then the boot mode with / not yet mounted).
wt_setup() {
	vfio-early() {
		if [ "${1:-}" = select ]; then
			shift
			"$VFIO_EARLY" select --root "$ROOT" "$@"
		else
			"$VFIO_EARLY" --root "$ROOT" "$@"
		fi
	}
	sed() {
		local a=() x
		for x in "$@"; do
			case $x in /etc/*) a+=("$ROOT$x") ;; *) a+=("$x") ;; esac
		done
		command sed "${a[@]}"
	}
	make() { echo "make $*: built and installed already (the binary under test)"; }
	update-initramfs() { echo "update-initramfs $*" >> "$BATS_TEST_TMPDIR/rebuilt"; }
	reboot() {
		local f
		[ -s "$BATS_TEST_TMPDIR/rebuilt" ] || { echo "reboot without a rebuilt initramfs"; return 1; }
		: > "$BATS_TEST_TMPDIR/rebuilt"
		for f in "$ROOT"/sys/bus/pci/devices/*/driver_override; do echo '(null)' > "$f"; done
		: > "$ROOT/dev/kmsg"
		rm -rf "$ROOT/run/vfio-early"
		cp "$ROOT/proc/self/mountinfo" "$BATS_TEST_TMPDIR/mountinfo"
		: > "$ROOT/proc/self/mountinfo"
		"$VFIO_EARLY" --root "$ROOT" || true
		cp "$BATS_TEST_TMPDIR/mountinfo" "$ROOT/proc/self/mountinfo"
		echo rebooted
	}
	dmesg() { cat "$ROOT/dev/kmsg"; }
	lspci() {
		local d
		for d in "$ROOT"/sys/bus/pci/devices/0000:${3}.*; do
			echo "${d##*/} driver_override $(cat "$d/driver_override")"
		done
	}
}

# wt STEP: run each command of STEP in $ROOT; $out STEP's output, each
# command's status checked against what the README promises (0; the report
# 0, 64 or 65).
wt() {
	local cmd
	out=""
	while IFS=$'\t' read -r s cmd; do
		[ "$s" = "$1" ] || continue
		run eval "$cmd"
		case $cmd in
		"vfio-early --report") case $status in 0 | 64 | 65) ;; *) fail "'$cmd' exited $status: $output" ;; esac ;;
		*) [ "$status" -eq 0 ] || fail "'$cmd' exited $status: $output" ;;
		esac
		out+=$output$'\n'
	done <<< "$STEPS"
	output=$out
	mapfile -t lines <<< "$out"
}

@test "the README walkthrough, step by step, on a fake root of the guide's Proxmox host" {
	make_root proxmox-3090
	fake_pciids
	fake_builtin_modules
	wt_setup
	STEPS=$(walkthrough)
	assert_equal "$(cut -f1 <<< "$STEPS" | uniq | tr '\n' ' ')" \
		"install find select check rebuild reboot verify undo "

	wt install

	wt find
	[ -n "$(sample find)" ]
	while IFS= read -r l; do assert_line "$l"; done < <(sample find)
	assert_line "IOMMU group 14"

	wt select
	assert_line "rule: address 0000:09:00"
	assert_line "to add it: vfio-early select --append 0000:09:00"
	[ -n "$(sample select)" ]
	while IFS= read -r l; do assert_line "${l//:N /:2 }"; done < <(sample select)
	assert_equal "$(cat "$ROOT/etc/vfio-early.conf")" "# added by vfio-early select 0000:09:00
address 0000:09:00"

	wt check
	assert_line "summary (dry run): 2 to bind, 0 refused, 0 rule errors (exit 0)"
	assert_line "      next boot: vfio-pci (rule /etc/vfio-early.conf:2 0000:09:00)"
	assert_line "    Proxmox: qm set VMID -hostpci0 0000:09:00,pcie=1   (add ,x-vga=1 for the VM's primary display)"

	wt rebuild
	wt reboot
	assert_overrides 0000:09:00.0=vfio-pci 0000:09:00.1=vfio-pci 0000:00:1f.3='(null)' 0000:00:02.0='(null)'

	wt verify
	assert_line --partial "0000:09:00.0 [10de:2204] class 030000: driver_override set to vfio-pci"
	assert_line --partial "0000:09:00.1 [10de:1aef] class 040300: driver_override set to vfio-pci"
	assert_line "0000:09:00.0 driver_override vfio-pci"
	assert_line "0000:09:00.1 driver_override vfio-pci"
	refute_line --partial "vfio-early did not run at this boot"

	wt undo
	assert_equal "$(cat "$ROOT/etc/vfio-early.conf")" ""
	assert_line "summary (dry run): 0 to bind, 0 refused, 0 rule errors (exit 0)"
	assert_line rebooted
	assert_overrides 0000:09:00.0='(null)' 0000:09:00.1='(null)'
}

@test "the README's recovery and single-GPU advice name what the program reads" {
	grep -q '^<!-- walkthrough undo -->$' "$README"
	grep -qF 'add ` vfio_early=off`' "$README"
	grep -qF 'proxmox-boot-tool refresh' "$README"
	make_root two-cards
	run --separate-stderr "$VFIO_EARLY" select --root "$ROOT" 0a:00
	assert_line "rule: address 0000:0a:00 allow-boot-vga"
	set_cmdline "vfio_early=off"
	in_initramfs
	set_config "address 0000:0a:00 allow-boot-vga"
	run "$VFIO_EARLY" --root "$ROOT"
	assert_equal "$(override 0000:0a:00.0)" "(null)"
	grep -q "disabled by vfio_early=off" "$ROOT/dev/kmsg"
}
