# Helpers for tests/deb: a copy of the tree to build in, and commands run
# with the whole file system read-only except one directory.

DEB_TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

# deb_log MESSAGE: a diagnostic line in the TAP output.
deb_log()
{
	printf '# %s\n' "$*" >&3
}

# deb_copy_tree DEST: the source files of the tree under test (tracked, and
# untracked but not ignored: new files the lead has not committed yet, such
# as debian/ itself) copied to DEST, so that nothing is built in the tree.
# Outside a git checkout (or one git refuses to read), everything but .git
# and the build products named in .gitignore.
deb_copy_tree()
{
	local dest=$1
	mkdir -p "$dest" || return 1
	if git -C "$DEB_TOP" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$DEB_TOP" && git ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do
				# tracked files deleted in the work tree are not part of it
				if [ -e "$f" ] || [ -L "$f" ]; then
					printf '%s\0' "$f"
				fi
			done | xargs -0 -r cp -P --parents -t "$dest")
	else
		tar -C "$DEB_TOP" --exclude=./.git --exclude=./build --exclude=./vfio-early \
			--exclude=./vfio-early-static --exclude=./tests/boot/.cache -cf - . |
			tar -C "$dest" -xf -
	fi
}

# deb_readonly_run WRITABLE CMD...: run CMD in a private mount namespace in
# which every file system is read-only but the directory WRITABLE (and
# /proc, /sys, /dev).  Any write elsewhere fails with EROFS.
deb_readonly_run()
{
	local writable=$1
	shift
	mkdir -p "$writable" || return 1
	# shellcheck disable=SC2016 # the script expands its own arguments
	unshare --mount --propagation private sh -c '
		w=$1
		shift
		mount --bind "$w" "$w" || exit 125
		for mp in $(awk "{ print \$5 }" /proc/self/mountinfo); do
			case $mp in
			/proc | /proc/* | /sys | /sys/* | /dev | /dev/* | "$w") continue ;;
			esac
			mount -o remount,bind,ro "$mp" 2>/dev/null || :
		done
		if (: >/.vfio-early-rw-probe) 2>/dev/null; then
			rm -f /.vfio-early-rw-probe
			echo "deb_readonly_run: could not make / read-only" >&2
			exit 125
		fi
		exec "$@"' sh "$writable" "$@"
}

# deb_can_readonly_run: mount namespaces work here (root, util-linux unshare).
deb_can_readonly_run()
{
	[ "$(id -u)" = 0 ] && command -v unshare >/dev/null &&
		unshare --mount --propagation private true 2>/dev/null
}
