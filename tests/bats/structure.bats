#!/usr/bin/env bats
# The shape of src/: every path built from run-time text goes through the
# path layer (src/sysfs.c), one directory iterator serves every walk, and
# the rooms the layer and the protected set live in form no circle.

load helper

# The format string of every snprintf-family call in FILE, one per line as
# FILE:LINE:FORMAT (the first string literal after the opening parenthesis).
formats() {
	perl -0777 -ne '
		while (/\b(?:x|v)?snprintf\s*\(([^;"]*?)"((?:[^"\\]|\\.)*)"/sg) {
			my ($pre, $fmt) = ($1, $2);
			my $line = 1 + (substr($_, 0, $-[0]) =~ tr/\n//);
			print "$ARGV:$line:$fmt\n";
		}' "$@"
}

# A path: a format without blanks (a message is not a path) that names a
# sysfs location or joins a name to a directory with '/'.
path_formats() {
	formats "$@" | grep -E '^[^:]*:[0-9]+:[^ ]*(sys/|%(s|d|u|lu)/|/%(s|d|u|lu|\.\*s))[^ ]*$' || true
}

# Not sysfs and not built from a name the path layer could check, each for
# a reason given here.  The capture writer builds the destination tree it
# mirrors; the layer itself builds every other path.
allowed() {
	case $1 in
	src/sysfs.c:* | src/capture.c:*) return 0 ;;
	# the module index under the modules directory libkmod was given
	'src/modalias.c:'*':%s/modules.alias.bin') return 0 ;;
	# the image's path as the report shows it (host root prefix, relative name)
	'src/report-gather.c:'*':%s/%s') return 0 ;;
	# the mount point of the root to come (/sysroot), matched against mountinfo
	'src/protect.c:'*':/%s') return 0 ;;
	# a file's path as import shows it to the user
	'src/import-read.c:'*':/%s') return 0 ;;
	# the device nodes a /proc/PID/fd link may point to: compared, never opened
	'src/release.c:'*':/dev/vfio/%d' | 'src/release.c:'*':/dev/vfio/devices/%s') return 0 ;;
	# the config file (DIR/etc/vfio-early.conf under --root) and the temporary
	# directory of its copy, for select
	'src/select.c:'*':%s/%s' | 'src/select.c:'*':%s/vfio-early-select.XXXXXX') return 0 ;;
	# a modprobe.d file's path as messages name it (directory, file)
	'src/modprobe-conf.c:'*':%s/%s') return 0 ;;
	# libkmod's directories: absolute paths under the root prefix it needs
	'src/modload.c:'*':%s/lib/modules/%s' | 'src/modload.c:'*':%s/%s') return 0 ;;
	esac
	return 1
}

@test "structure: the format scan sees a hand-built path (self-check)" {
	f=$BATS_TEST_TMPDIR/probe.c
	printf '%s\n' 'static void f(char *p, const char *n)' '{' \
		'	xsnprintf(p, 64,' '		  "sys/class/block/%s/holders", n);' \
		'	snprintf(p, 64, "%s/physfn", n);' '	snprintf(p, 64, "%d dogs", 3);' '}' > "$f"
	run path_formats "$f"
	assert_line --partial 'probe.c:3:sys/class/block/%s/holders'
	assert_line --partial 'probe.c:5:%s/physfn'
	refute_output --partial 'dogs'
}

@test "structure: no sysfs path is built by hand outside the path layer and the capture writer" {
	bad=
	while IFS= read -r hit; do
		allowed "$hit" || bad="$bad$hit"$'\n'
	done < <(cd "$TOP" && path_formats src/*.c)
	[ -z "$bad" ] || { printf 'hand-built path (use sysfs_*f() of src/sysfs.h):\n%s' "$bad"; false; }
}

@test "structure: one directory iterator (sysfs_dir_next), no openat+fdopendir+readdir copies" {
	cd "$TOP"
	# every file walks directories with the iterator
	run grep -lE '\b(fdopendir|readdir|opendir)\s*\(' src/*.c
	bad=
	for f in $output; do
		case $f in
		src/sysfs.c) ;;
		*) bad="$bad $f" ;;
		esac
	done
	[ -z "$bad" ] || { echo "readdir outside the path layer:$bad"; false; }
}

@test "structure: the path layer sits under pci.c (sysfs includes no pci.h)" {
	cd "$TOP"
	run grep -lE '#include "pci\.h"' src/sysfs.c src/sysfs.h
	assert_failure
	refute_output
	run grep -n 'pci_attr_read\|pci_link_read\|pci_attr_write\|pci_attr_exists' src/sysfs.h
	assert_failure
}

# build-aux/structure over the objects `make check` built.
structure() { "$TOP/build-aux/structure" "${BUILD:-$TOP/build/default}"; }

@test "structure: no circle through the path layer, pci or the protected set" {
	run structure
	refute_line --regexp '^circle: .*\b(sysfs|pci|protect|protect-set|protect-block|protlist|inuse)\b'
	refute_line --regexp '^runs back up: (sysfs|pci|protect|protect-set|protect-block|protlist|inuse) '
}

@test "structure: the protect rooms are short: files under 800 lines, functions under 80" {
	run structure
	refute_line --regexp '^file over 800 lines: src/(sysfs|pci|protect|protect-set|protect-block|protlist|inuse)\.c'
	refute_line --regexp '^function over 80 lines: src/(sysfs|pci|protect|protect-set|protect-block|protlist|inuse)\.c'
}

@test "structure: each protect module has its own header" {
	cd "$TOP"
	for m in protect protect-set protect-block protlist inuse; do
		[ -f "src/$m.h" ] || { echo "src/$m.h is missing"; false; }
		grep -q "#include \"$m.h\"" "src/$m.c" || { echo "src/$m.c does not include its header"; false; }
	done
	# protect.h no longer declares what protlist.c and inuse.c define.
	run grep -nE 'protect_(load_list|write_list|machine_id|in_use|needs_proof|find_carriers)\(' src/protect.h
	assert_failure
}
