#!/bin/bash
# build-aux/static-deps.sh PREFIX_DIR
#
# Builds the static, musl-linked libraries that `make static` links into
# vfio-early-static:
#
#   PREFIX_DIR/lib/libkmod.a     kmod 30 libkmod (+ its shared/ helpers), zstd and xz enabled
#   PREFIX_DIR/lib/libblkid.a    util-linux 2.38 libblkid, trimmed to the probers below
#   PREFIX_DIR/lib/libzstd.a     zstd, decompression only
#   PREFIX_DIR/lib/liblzma.a     xz liblzma, lzma1/lzma2 decoders only
#   PREFIX_DIR/include/{libkmod.h,blkid/blkid.h,zstd.h,zstd_errors.h,lzma.h,lzma/}
#
# Sources are Debian 12 (bookworm) source packages fetched with `apt-get source` through a
# private apt configuration under PREFIX_DIR/.work/apt (the system's apt configuration,
# lists and caches are never touched).  The build is cached: when PREFIX_DIR/.stamp holds
# the hash of this script and of the settings below, nothing is done (in ~10 ms).
#
# Environment:
#   MUSL_CC          compiler (default: musl-gcc; musl-tools is apt-installed when missing)
#   DEBIAN_SUITE     suite to take the sources from (default: bookworm)
#   DEBIAN_MIRROR    (default: http://deb.debian.org/debian)
#   DEBIAN_SECURITY  (default: http://deb.debian.org/debian-security; empty to skip)
#   BLKID_SUPERBLOCKS  space-separated idinfo names kept in libblkid (default below; "all")
#   BLKID_PARTITIONS   space-separated partition-table probers kept (default below; "all")
#   KEEP_WORK=1      keep PREFIX_DIR/.work (sources, build trees, log) after success
#   JOBS             parallel make jobs (default: nproc)
#   V=1              show the build output instead of logging it
set -euo pipefail

me=$(basename "$0")
die() { echo "$me: error: $*" >&2; exit 1; }
say() { echo "$me: [${SECONDS}s] $*"; }

[ $# -eq 1 ] || { echo "usage: $me PREFIX_DIR" >&2; exit 2; }
mkdir -p "$1" || die "cannot create $1"
PREFIX=$(cd "$1" && pwd -P)
# PREFIX_DIR/lib and include are wiped on a rebuild: refuse a directory holding anything
# this script did not put there.
for f in "$PREFIX"/* "$PREFIX"/.[!.]*; do
	case ${f##*/} in
	'*' | '.[!.]*' | lib | include | VERSIONS | .stamp | .work | .lock) ;;
	*) die "$PREFIX holds ${f##*/}: not a directory made by this script; give an empty or new one" ;;
	esac
done
# One build at a time per PREFIX_DIR (the default one is shared by every checkout).
if command -v flock >/dev/null 2>&1; then
	exec 9> "$PREFIX/.lock"
	flock 9
fi

# Probers kept in libblkid.  The root filesystem is found by UUID=/LABEL= (superblocks)
# or PARTUUID=/PARTLABEL= (partition tables); LVM/dm/md are climbed through sysfs by
# vfio-early itself, so only the filesystems a Linux root lives on are needed, plus the
# md/LVM/LUKS member signatures, so that a RAID1 member (whose copy of the filesystem
# superblock is readable) is reported as a member, as full libblkid does.
: "${BLKID_SUPERBLOCKS:=linuxraid lvm2 luks ext4dev ext4 ext3 ext2 xfs btrfs f2fs}"
: "${BLKID_PARTITIONS:=gpt pmbr dos}"
: "${MUSL_CC:=musl-gcc}"
: "${DEBIAN_SUITE:=bookworm}"
: "${DEBIAN_MIRROR:=http://deb.debian.org/debian}"
DEBIAN_SECURITY=${DEBIAN_SECURITY-http://deb.debian.org/debian-security}
: "${JOBS:=$(nproc 2>/dev/null || echo 2)}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# The stamp: this script and the settings that change what it builds.
self_hash=$({ cat "$0"; echo "$BLKID_SUPERBLOCKS|$BLKID_PARTITIONS|$MUSL_CC|$DEBIAN_SUITE"; } |
	sha256sum | cut -d' ' -f1)
if [ -f "$PREFIX/.stamp" ] && [ "$(cat "$PREFIX/.stamp")" = "$self_hash" ] &&
	[ -f "$PREFIX/lib/libkmod.a" ] && [ -f "$PREFIX/lib/libblkid.a" ] &&
	[ -f "$PREFIX/lib/libzstd.a" ] && [ -f "$PREFIX/lib/liblzma.a" ]; then
	exit 0
fi

WORK=$PREFIX/.work
LOG=$WORK/build.log
rm -rf "$WORK" "${PREFIX:?}/include" "${PREFIX:?}/lib" "${PREFIX:?}/.stamp"
mkdir -p "$WORK" "$PREFIX/include" "$PREFIX/lib"
: > "$LOG"

step=""
on_exit() {
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "$me: error: failed while $step (exit $rc)" >&2
		if [ "${V:-0}" != 1 ] && [ -s "$LOG" ]; then
			echo "$me: last lines of $LOG:" >&2
			tail -n 25 "$LOG" | sed 's/^/  | /' >&2
		fi
	fi
}
trap on_exit EXIT

# run CMD...: run a command, its output going to the log (or the terminal with V=1).
run() {
	echo "+ $*" >> "$LOG"
	if [ "${V:-0}" = 1 ]; then "$@"; else "$@" >> "$LOG" 2>&1; fi
}

#---------------------------------------------------------------------------------------
step="checking the tools"
need_pkgs=""
command -v "$MUSL_CC" >/dev/null 2>&1 || need_pkgs="$need_pkgs musl-tools"
command -v gcc >/dev/null 2>&1 || need_pkgs="$need_pkgs gcc"
command -v dpkg-source >/dev/null 2>&1 || need_pkgs="$need_pkgs dpkg-dev"
command -v make >/dev/null 2>&1 || need_pkgs="$need_pkgs make"
command -v ar >/dev/null 2>&1 || need_pkgs="$need_pkgs binutils"
command -v xz >/dev/null 2>&1 || need_pkgs="$need_pkgs xz-utils"
[ -f /usr/include/linux/fs.h ] || need_pkgs="$need_pkgs linux-libc-dev"
[ -f "$KEYRING" ] || need_pkgs="$need_pkgs debian-archive-keyring"
if [ -n "$need_pkgs" ]; then
	[ "$(id -u)" = 0 ] || die "missing packages:$need_pkgs (install them, or run as root)"
	say "installing$need_pkgs"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	run apt-get install -y -q --no-install-recommends $need_pkgs ||
		{ run apt-get update -q && run apt-get install -y -q --no-install-recommends $need_pkgs; } ||
		die "apt-get install$need_pkgs failed (see $LOG)"
fi
command -v "$MUSL_CC" >/dev/null 2>&1 || die "$MUSL_CC not found"

# musl-gcc hides the system headers; the kernel's uapi headers are made visible through
# a directory of links (libblkid needs linux/*.h).
KH=$WORK/kernel-headers
mkdir -p "$KH"
multiarch=$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
ln -s /usr/include/linux "$KH/linux"
ln -s /usr/include/asm-generic "$KH/asm-generic"
if [ -d "/usr/include/$multiarch/asm" ]; then
	ln -s "/usr/include/$multiarch/asm" "$KH/asm"
else
	ln -s /usr/include/asm "$KH/asm"
fi

OPT_CFLAGS="-Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-stack-protector -fomit-frame-pointer -fno-ident"

#---------------------------------------------------------------------------------------
step="fetching the Debian sources"
say "fetching kmod, util-linux, libzstd, xz-utils sources ($DEBIAN_SUITE)"
APT=$WORK/apt
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$WORK/src"
{
	echo "deb-src [signed-by=$KEYRING] $DEBIAN_MIRROR $DEBIAN_SUITE main"
	echo "deb-src [signed-by=$KEYRING] $DEBIAN_MIRROR $DEBIAN_SUITE-updates main"
	if [ -n "$DEBIAN_SECURITY" ]; then
		echo "deb-src [signed-by=$KEYRING] $DEBIAN_SECURITY $DEBIAN_SUITE-security main"
	fi
} > "$APT/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$APT/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache"
	-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
	-o APT::Get::List-Cleanup=0)
[ "$(id -u)" = 0 ] && apt_opts+=(-o APT::Sandbox::User=root)
run apt-get "${apt_opts[@]}" -q --error-on=any update || die "apt-get update (private source list) failed; see $LOG"
# fetch_source PKG: the newest version of source package PKG that the mirrors serve.  A
# mirror may list a version in its index yet not carry its files (seen: a security update
# of libzstd answering 404); the older versions of the suite are tried then, newest first.
fetch_source() {
	local pkg=$1 versions v
	(cd "$WORK/src" && run apt-get "${apt_opts[@]}" -q source "$pkg") && return 0
	versions=$(apt-cache "${apt_opts[@]}" showsrc "$pkg" 2>>"$LOG" |
		sed -n 's/^Version: //p' | sort -u | sort -r -V)
	for v in $versions; do
		say "$pkg: the newest source could not be fetched; trying $pkg=$v"
		rm -rf "${WORK:?}/src/$pkg"[-_]*
		(cd "$WORK/src" && run apt-get "${apt_opts[@]}" -q source "$pkg=$v") && return 0
	done
	return 1
}
for pkg in kmod util-linux libzstd xz-utils; do
	fetch_source "$pkg" || die "apt-get source $pkg failed (every version listed); see $LOG"
done

srcdir() { # srcdir PKG: the unpacked tree of source package PKG
	local d
	d=$(find "$WORK/src" -mindepth 1 -maxdepth 1 -type d -name "$1-*" | head -n 1)
	[ -n "$d" ] || die "no unpacked source for $1"
	echo "$d"
}
KMOD_SRC=$(srcdir kmod)
UL_SRC=$(srcdir util-linux)
ZSTD_SRC=$(srcdir libzstd)
XZ_SRC=$(srcdir xz-utils)
# Debian's patches leave configure.ac/Makefile.am newer than the generated files; give
# every file one timestamp so that make never tries to rerun the autotools.
stamp_time=$(date +%s)
find "$WORK/src" -exec touch -h -d "@$stamp_time" {} +
(cd "$WORK/src" && ls -1 ./*.dsc) | sed 's,^\./,,; s,\.dsc$,,' > "$PREFIX/VERSIONS"

#---------------------------------------------------------------------------------------
step="building zstd (decompression only)"
say "building zstd"
B=$WORK/build/zstd
mkdir -p "$B"
ZSTD_CPPFLAGS="-DXXH_NAMESPACE=ZSTD_ -DDEBUGLEVEL=0 -DNDEBUG -DZSTD_LEGACY_SUPPORT=0 -DZSTD_DISABLE_ASM
 -DZSTD_MULTITHREAD=0 -DDYNAMIC_BMI2=0 -DHUF_FORCE_DECOMPRESS_X1 -DZSTD_FORCE_DECOMPRESS_SEQUENCES_SHORT
 -DZSTD_NO_INLINE -DZSTD_NO_TRACE -DZSTD_TRACE=0"
ZSTD_CPPFLAGS=${ZSTD_CPPFLAGS//$'\n'/}
objs=()
for f in common/entropy_common.c common/error_private.c common/fse_decompress.c \
	common/xxhash.c common/zstd_common.c \
	decompress/huf_decompress.c decompress/zstd_ddict.c decompress/zstd_decompress.c \
	decompress/zstd_decompress_block.c; do
	o=$B/$(basename "$f" .c).o
	# shellcheck disable=SC2086
	run "$MUSL_CC" $OPT_CFLAGS $ZSTD_CPPFLAGS -c -o "$o" "$ZSTD_SRC/lib/$f"
	objs+=("$o")
done
run ar rcs "$PREFIX/lib/libzstd.a" "${objs[@]}"
cp "$ZSTD_SRC/lib/zstd.h" "$ZSTD_SRC/lib/zstd_errors.h" "$PREFIX/include/"

#---------------------------------------------------------------------------------------
step="building liblzma (lzma1/lzma2 decoders only)"
say "building liblzma"
B=$WORK/build/xz
mkdir -p "$B"
(cd "$B" && run "$XZ_SRC/configure" -q CC="$MUSL_CC" CFLAGS="$OPT_CFLAGS" \
	--prefix="$PREFIX" --libdir="$PREFIX/lib" --includedir="$PREFIX/include" \
	--disable-shared --enable-static --disable-nls --disable-threads \
	--disable-encoders --enable-decoders=lzma1,lzma2 --disable-match-finders \
	--enable-checks=crc32,crc64 --enable-small --disable-microlzma --disable-lzip-decoder \
	--disable-xz --disable-xzdec --disable-lzmadec --disable-lzmainfo --disable-lzma-links \
	--disable-scripts --disable-doc --disable-symbol-versions --disable-assembler)
run make -C "$B/src/liblzma" -j"$JOBS" -s
cp "$B/src/liblzma/.libs/liblzma.a" "$PREFIX/lib/"
mkdir -p "$PREFIX/include/lzma"
cp "$XZ_SRC/src/liblzma/api/lzma.h" "$PREFIX/include/"
cp "$XZ_SRC/src/liblzma/api/lzma/"*.h "$PREFIX/include/lzma/"

#---------------------------------------------------------------------------------------
step="building libblkid"
say "building libblkid"
B=$WORK/build/util-linux
mkdir -p "$B"
# Keep only the wanted probers: the others are taken out of the prober tables, so that
# --gc-sections drops their code.
trim_table() { # trim_table FILE START_REGEX KEEP...: comment out `&NAME_idinfo,` entries
	local file=$1 start=$2; shift 2
	local keep=" $* "
	awk -v start="$start" -v keep="$keep" '
		$0 ~ start { intab = 1 }
		intab && /^};/ { intab = 0 }
		intab && match($0, /^[ \t]*&[a-z0-9_]+,?/) {
			name = substr($0, RSTART, RLENGTH); gsub(/[ \t&,]/, "", name)
			sub(/_idinfo$|_pt_idinfo$/, "", name)
			seen[name] = 1
			if (index(keep, " " name " ") == 0) { print "/* trimmed: " $0 " */"; next }
		}
		{ print }
		END {
			n = split(keep, k, " ")
			for (i = 1; i <= n; i++)
				if (!(k[i] in seen)) { print "no prober named " k[i] > "/dev/stderr"; bad = 1 }
			exit bad
		}' "$file" > "$file.new" || die "$file: a kept prober is not in its table (names: $*)"
	mv "$file.new" "$file"
}
if [ "$BLKID_SUPERBLOCKS" != all ]; then
	# shellcheck disable=SC2086
	trim_table "$UL_SRC/libblkid/src/superblocks/superblocks.c" '^static const struct blkid_idinfo \*idinfos\[\]' $BLKID_SUPERBLOCKS
fi
if [ "$BLKID_PARTITIONS" != all ]; then
	# shellcheck disable=SC2086
	trim_table "$UL_SRC/libblkid/src/partitions/partitions.c" '^static const struct blkid_idinfo \*idinfos\[\]' $BLKID_PARTITIONS
fi
touch -d "@$stamp_time" "$UL_SRC/libblkid/src/superblocks/superblocks.c" "$UL_SRC/libblkid/src/partitions/partitions.c"
(cd "$B" && run "$UL_SRC/configure" -q CC="$MUSL_CC" CFLAGS="$OPT_CFLAGS -isystem $KH" \
	--prefix=/usr --sysconfdir=/etc --localstatedir=/var --runstatedir=/run \
	--disable-shared --enable-static --disable-all-programs --enable-libblkid \
	--disable-nls --disable-assert --disable-asciidoc --disable-poman --disable-bash-completion \
	--disable-pylibmount --disable-libmount --disable-libuuid --disable-libsmartcols \
	--disable-libfdisk --disable-makeinstall-chown --disable-makeinstall-setuid \
	--without-udev --without-systemd --without-python --without-readline --without-ncursesw \
	--without-ncurses --without-tinfo --without-cap-ng --without-libz --without-libmagic \
	--without-selinux --without-audit --without-smack --without-econf --without-cryptsetup \
	--without-btrfs --without-user)
run make -C "$B" -j"$JOBS" -s libblkid.la
cp "$B/.libs/libblkid.a" "$PREFIX/lib/"
mkdir -p "$PREFIX/include/blkid"
cp "$B/libblkid/src/blkid.h" "$PREFIX/include/blkid/"

#---------------------------------------------------------------------------------------
step="building libkmod"
say "building libkmod"
B=$WORK/build/kmod
mkdir -p "$B"
probe() { # probe SNIPPET: does it compile with $MUSL_CC?
	printf '#define _GNU_SOURCE 1\n%s\n' "$1" > "$B/probe.c"
	"$MUSL_CC" -c -o "$B/probe.o" "$B/probe.c" >/dev/null 2>&1
}
def01() { if probe "$1"; then echo 1; else echo 0; fi; }
kmod_version=$(sed -n 's/^AC_INIT(\[kmod\],[[:space:]]*\[\([^]]*\)\].*/\1/p' "$KMOD_SRC/configure.ac")
{
	echo "/* written by $me for a musl build of libkmod */"
	echo "#define _GNU_SOURCE 1"
	echo "#define PACKAGE \"kmod\""
	echo "#define VERSION \"${kmod_version:-30}\""
	echo "#define KMOD_FEATURES \"+ZSTD +XZ -ZLIB -LIBCRYPTO -EXPERIMENTAL\""
	echo "#define ENABLE_LOGGING 1"
	echo "#define ENABLE_ZSTD 1"
	echo "#define ENABLE_XZ 1"
	echo "#define HAVE_STATIC_ASSERT 1"
	echo "#define HAVE_NORETURN 1"
	echo "#define HAVE___BUILTIN_CLZ 1"
	echo "#define HAVE___BUILTIN_TYPES_COMPATIBLE_P 1"
	echo "#define HAVE___BUILTIN_UADDL_OVERFLOW 1"
	echo "#define HAVE___BUILTIN_UADDLL_OVERFLOW 1"
	echo "#define HAVE_STRUCT_STAT_ST_MTIM 1"
	# the AC_CHECK_DECLS test: a macro or a declaration
	echo "#define HAVE_DECL_STRNDUPA $(def01 '#include <string.h>
int main(void) {
#ifndef strndupa
	(void)strndupa;
#endif
	return 0; }')"
	echo "#define HAVE_DECL_BE32TOH $(def01 '#include <endian.h>
int main(void) {
#ifndef be32toh
	(void)be32toh;
#endif
	return 0; }')"
	if probe '#include <stdlib.h>
char *p(void); char *p(void) { return secure_getenv("X"); }'; then
		echo "#define HAVE_SECURE_GETENV 1"
	fi
} > "$B/config.h"
objs=()
for f in libkmod/libkmod.c libkmod/libkmod-builtin.c libkmod/libkmod-list.c \
	libkmod/libkmod-config.c libkmod/libkmod-index.c libkmod/libkmod-module.c \
	libkmod/libkmod-file.c libkmod/libkmod-elf.c libkmod/libkmod-signature.c \
	shared/array.c shared/hash.c shared/scratchbuf.c shared/strbuf.c shared/util.c; do
	o=$B/$(echo "$f" | tr / _ | sed 's/\.c$/.o/')
	# shellcheck disable=SC2086
	run "$MUSL_CC" $OPT_CFLAGS -std=gnu11 -include "$B/config.h" -I"$KMOD_SRC" \
		-I"$PREFIX/include" -DSYSCONFDIR=\"/etc\" -DNDEBUG -c -o "$o" "$KMOD_SRC/$f"
	objs+=("$o")
done
run ar rcs "$PREFIX/lib/libkmod.a" "${objs[@]}"
cp "$KMOD_SRC/libkmod/libkmod.h" "$PREFIX/include/"

#---------------------------------------------------------------------------------------
step="checking the result"
for f in lib/libkmod.a lib/libblkid.a lib/libzstd.a lib/liblzma.a include/libkmod.h \
	include/blkid/blkid.h include/zstd.h include/lzma.h; do
	[ -s "$PREFIX/$f" ] || die "$PREFIX/$f was not produced"
done
rm -rf "$PREFIX/lib/pkgconfig" "$PREFIX/share"
[ "${KEEP_WORK:-0}" = 1 ] || rm -rf "$WORK"
echo "$self_hash" > "$PREFIX/.stamp"
say "static dependencies ready in $PREFIX ($(tr '\n' ' ' < "$PREFIX/VERSIONS"))"
