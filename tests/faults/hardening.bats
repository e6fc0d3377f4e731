#!/usr/bin/env bats
# Build hardening of the dynamic binary (PIE, full RELRO, non-executable
# stack, stack protector, FORTIFY), no shell or exec in the program except
# the report's direct execv() of the initramfs listing tools, and nothing
# of the test-only fault injection in what ships.

load ../bats/helper
load faults

setup() {
	command -v readelf > /dev/null || skip "readelf (binutils) is not installed"
	BIN=$VFIO_EARLY
	asan_binary && BIN=$TOP/vfio-early
	[ -x "$BIN" ] || skip "$BIN is not built"
}

@test "hardening: PIE" {
	run readelf -hW "$BIN"
	assert_line --regexp '^ *Type: +DYN '
	run readelf -dW "$BIN"
	assert_line --regexp 'FLAGS_1.*PIE'
}

@test "hardening: full RELRO (GNU_RELRO segment and BIND_NOW)" {
	run readelf -lW "$BIN"
	assert_line --regexp '^ *GNU_RELRO '
	run readelf -dW "$BIN"
	assert_line --regexp '\(FLAGS\) +BIND_NOW|FLAGS_1.*NOW'
}

@test "hardening: non-executable stack, no RPATH/RUNPATH, no text relocations" {
	run readelf -lW "$BIN"
	assert_line --regexp '^ *GNU_STACK .* RW  '
	run readelf -dW "$BIN"
	refute_line --regexp '\((RPATH|RUNPATH|TEXTREL)\)'
}

@test "hardening: stack protector and FORTIFY are in the binary" {
	run readelf --dyn-syms -W "$BIN"
	assert_line --regexp ' __stack_chk_fail(@|$)'
	# _FORTIFY_SOURCE turned some calls into their checking variants.
	[ "$(printf '%s\n' "$output" | grep -cE ' __[a-z0-9_]+_chk(@|$)')" -ge 3 ] ||
		fail "fewer than 3 __*_chk symbols: is -D_FORTIFY_SOURCE=2 with -O in effect?"
}

@test "hardening: the binary imports no system(), popen() or exec through a shell" {
	run readelf --dyn-syms -W "$BIN"
	refute_line --regexp ' (system|popen|execl|execle|execlp|execvp|execvpe|posix_spawnp?|wordexp|dlopen)(@|$)'
}

@test "hardening: src/ calls no system(), popen(), exec* but the initramfs listing's execv()" {
	local f code
	for f in "$TOP"/src/*.c "$TOP"/src/*.h; do
		# Code only: comments and strings about shells are fine.
		code=$(gcc -fpreprocessed -dD -E -P "$f" 2> /dev/null | sed 's/"[^"]*"/""/g')
		if printf '%s\n' "$code" | grep -nE '\b(system|popen|wordexp|execl|execle|execlp|execvp|execvpe|fexecve|posix_spawnp?|vfork|clone)\s*\('; then
			fail "$f starts programs in a way it must not"
		fi
		case ${f##*/} in
		initramfs.c) ;;	# lists the initramfs with lsinitramfs/lsinitrd: fork + execv, no shell
		*)
			if printf '%s\n' "$code" | grep -nE '\b(fork|execv|execve)\s*\('; then
				fail "$f starts a program (only initramfs.c may, with execv)"
			fi ;;
		esac
	done
	run grep -nE '/bin/sh|"sh"|"-c"' "$TOP"/src/*.c
	assert_failure
}

@test "hardening: the shipped binary knows nothing of the fault injection" {
	run grep -c -e VE_FAULT -e ve-inject -e LD_PRELOAD "$BIN"
	assert_output 0
	[ -f "$TOP/tests/faults/inject.c" ]
	! readelf -dW "$BIN" | grep -q inject
}
