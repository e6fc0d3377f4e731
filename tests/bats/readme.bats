#!/usr/bin/env bats
# Every vfio-early command and config block in README.md works.  (Install,
# initramfs and boot commands are exercised by tests/boot and tests/deb;
# make demo by its own run.)

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
