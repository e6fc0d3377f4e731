# Boot tests of vfio-early in systemd initrds (tests/boot/systemd.bats): the
# images, the boots and the checks that prove vfio-early runs before
# anything that loads or binds a driver: systemd-modules-load
# (rd.modules-load=, /etc/modules-load.d), dracut's cmdline hooks
# or dracut-pre-udev.service (rd.driver.pre=), udevd.  Uses lib/boot.bash for the machine and the
# parsers; bats-assert for the checks.
#
# Images (built once, cached like the other suites' images):
#   sd     dracut with systemd systemd-initrd dracut-systemd, no config
#          (dracut.bats' s1sd image); dracut-pre-udev.service loads the
#          rd.driver.pre= modules after its hooks, before udevd starts
#   sdml   sd with /etc/modules-load.d/bochs.conf, as host-only dracut
#          copies the host's file into the image
#   sh     dracut without systemd, no config (dracut.bats' s1 image) plus
#          dracut's kernel-modules module, whose cmdline hook parse-kernel.sh
#          (01) loads the rd.driver.pre= modules
# Card 1 is always selected by address on the command line.

# shellcheck source=boot.bash
source "$BATS_TEST_DIRNAME/lib/boot.bash"
bats_load_library bats-support
bats_load_library bats-assert

VFE_OUT=${VFIO_EARLY_BOOT_OUT:-$VFE_CACHE/last}/systemd
VFE_SD_RUNS=${VFIO_EARLY_BOOT_SD_RUNS:-3}
VFE_SD_RULE=vfio_early.devices=01:00

# The races, each booted VFE_SD_RUNS times: NAME|IMAGE|COMMAND LINE.
VFE_SD_RACES=(
	"ml|sd|$VFE_SD_RULE rd.modules-load=bochs"
	"pre|sd|$VFE_SD_RULE rd.driver.pre=bochs"
	"conf|sdml|$VFE_SD_RULE"
	"shpre|sh|$VFE_SD_RULE rd.driver.pre=bochs"
)

# Hostile vfio_early.* values (no glob characters: boot specs are split
# into words unquoted), none of which may select anything.
VFE_SD_HOSTILE=(
	"vfio_early.devices=../../../sys/bus/pci/drivers/vfio-pci/bind"
	"vfio_early.devices=01:00.8"
	"vfio_early.devices=,"
	"vfio_early=../../etc/passwd"
	"vfio_early.devices/../=01:00"
)

# vfe_sd_variant_modules_load DIR KVER: bochs in /etc/modules-load.d.
vfe_sd_variant_modules_load()
{
	mkdir -p "$1/etc/modules-load.d"
	printf '# as host-only dracut copies it from the host\nbochs\n' >"$1/etc/modules-load.d/bochs.conf"
}

vfe_sd_setup()
{
	local missing stage prot t1 img_sd img_sdml img_sh race name image args i
	local boots=()
	missing=""
	[ -d /usr/lib/dracut/modules.d/98dracut-systemd ] || missing="$missing dracut-systemd"
	[ -x /lib/systemd/systemd ] || missing="$missing systemd"
	if [ -n "$missing" ]; then
		export VFE_SKIP_REASON="not installed:$missing"
		return 0
	fi
	vfe_boot_setup dracut || return 1
	[ -z "$VFE_SKIP_REASON" ] || return 0
	stage=$VFE_STAGE
	prot=$(vfe_guest_protected)
	img_sd=$(vfe_image dracut systemd "$stage" "" "$prot" systemd "$VFE_KVER") || return 1
	img_sdml=$(vfe_image_variant "$img_sd" systemd-modules-load vfe_sd_variant_modules_load) || return 1
	img_sh=$(vfe_image dracut noconf-km "$stage" "" "$prot" test+kernel-modules "$VFE_KVER") || return 1
	printf '%s\n' "sd=$img_sd" "sdml=$img_sdml" "sh=$img_sh" >"$VFE_OUT/images"
	t1=$(date +%s)

	for i in $(seq 1 "$VFE_SD_RUNS"); do
		for race in "${VFE_SD_RACES[@]}"; do
			IFS='|' read -r name image args <<<"$race"
			case $image in
			sd) image=$img_sd ;;
			sdml) image=$img_sdml ;;
			sh) image=$img_sh ;;
			esac
			boots+=("$name-$i|$image|1|$args")
		done
	done
	boots+=("off|$img_sd|1|$VFE_SD_RULE rd.modules-load=bochs vfio_early=off"
		"s6|$img_sd|1|vfio_early.devices=04:00.0"
		"ff|$img_sd|1|${VFE_SD_HOSTILE[*]}")
	vfe_boot_all "${boots[@]}"
	{
		echo "kind=systemd accel=$VFE_ACCEL kernel=$VFE_KVER jobs=$VFE_JOBS runs=$VFE_SD_RUNS"
		echo "images: $((t1 - VFE_SETUP_T0)) s"
		vfe_boot_lines "${boots[@]}"
	} | vfe_boot_timing systemd
}

vfe_sd_skip()
{
	vfe_boot_skip
}

# vfe_sd_image NAME: the path of image NAME (sd, sdml, sh).
vfe_sd_image()
{
	sed -n "s/^$1=//p" "$VFE_OUT/images"
}

# vfe_sd_extract IMAGE DIR: IMAGE's main archive unpacked into DIR.
vfe_sd_extract()
{
	mkdir -p "$2" && vfe_image_payload "$1" | (cd "$2" && cpio -idm --quiet --no-absolute-filenames 2>/dev/null)
}

# vfe_sd_unit_values DIR UNIT KEY: every value of KEY= in UNIT (in DIR's
# unit directories, drop-ins included), one word a line.
vfe_sd_unit_values()
{
	local dir=$1 unit=$2 key=$3 f
	for f in "$dir"/usr/lib/systemd/system/"$unit" "$dir"/etc/systemd/system/"$unit" \
		"$dir"/usr/lib/systemd/system/"$unit".d/*.conf "$dir"/etc/systemd/system/"$unit".d/*.conf; do
		[ -f "$f" ] || continue
		sed -n "s/^$key=//p" "$f" | tr ' ' '\n'
	done | sed '/^$/d'
}

# vfe_sd_console NAME: the console (kernel log and systemd's status lines,
# in the order they were written), \r and colours stripped.
vfe_sd_console()
{
	tr -d '\r' <"$VFE_OUT/$1.console" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g'
}

# vfe_sd_check_race NAME [cmdline|pre-udev|modules-load]: one boot of a race: card 1 (both functions) on
# vfio-pci from the first report on, bochs-drm never bound it (no kernel
# line names both), vfio-early found it without a driver, card 2 and the
# boot display on bochs-drm, and vfio-early's summary came before anything
# that loads or binds drivers started.  With rd.driver.pre=, proof that
# dracut loaded bochs itself, before udevd: cmdline (parse-kernel.sh, no
# systemd): the report of the first pre-udev hook shows bochs-drm on the
# boot display and card 2 already; pre-udev (dracut-pre-udev.service, after
# its hooks): bochs-drm bound them before systemd-udevd started.
# modules-load: systemd-modules-load ran (it had something to load) and
# bochs-drm bound card 2.
vfe_sd_check_race()
{
	local n=$1 sum first
	run vfe_reached_root "$n"
	assert_success
	run vfe_expect "$n" early,udev,root "$VFE_CARD1_VGA=vfio-pci" "$VFE_CARD1_HDA=vfio-pci"
	assert_success
	run vfe_expect "$n" udev,root "$VFE_CARD2_VGA=bochs-drm" "$VFE_CARD2_HDA=snd_hda_intel" \
		"$VFE_HOST_VGA=bochs-drm"
	assert_success
	run vfe_kmsg "$n"
	assert_line --regexp "vfio-early: $VFE_CARD1_VGA \[1234:1111\] class 030000: bound to vfio-pci \(was no driver\)"
	assert_line --regexp "vfio-early: $VFE_CARD1_HDA \[8086:293e\] class 040300: bound to vfio-pci \(was no driver\)"
	assert_line --regexp 'vfio-early: summary: 2 bound, 0 failed, 0 refused, 0 rule errors \(exit 0\)'
	run bash -c "tr -d '\r' <'$VFE_OUT/$n.console' | grep -a 'bochs' | grep -a '${VFE_CARD1_VGA}\|${VFE_CARD1_HDA}'"
	assert_output ""
	# bochs was loaded in this boot (the race was run), after the summary
	sum=$(vfe_sd_console "$n" | grep -an 'vfio-early: summary:' | head -n 1 | cut -d: -f1)
	first=$(vfe_sd_console "$n" | grep -an 'bochs-drm\|Starting.*systemd-modules-load\|Starting.*Load Kernel Modules\|Starting.*dracut-cmdline\|Starting.*systemd-udevd' |
		head -n 1 | cut -d: -f1)
	[ -n "$sum" ] || fail "no summary line from vfio-early"
	[ -n "$first" ] || fail "no line from bochs-drm, systemd-modules-load or udevd"
	[ "$sum" -lt "$first" ] || fail "vfio-early's summary (console line $sum) came after line $first: $(vfe_sd_console "$n" | sed -n "${first}p")"
	run vfe_state "$n"
	assert_line --regexp '^run mode=boot exit=0 bound=2 .*iommu=1'
	case ${2:-} in
	cmdline)
		run vfe_expect "$n" early "$VFE_HOST_VGA=bochs-drm" "$VFE_CARD2_VGA=bochs-drm" \
			"$VFE_CARD1_VGA=vfio-pci"
		assert_success
		;;
	pre-udev)
		first=$(vfe_sd_console "$n" | grep -an "bochs-drm $VFE_CARD2_VGA" | head -n 1 | cut -d: -f1)
		sum=$(vfe_sd_console "$n" | grep -anE 'Start(ing|ed) systemd-udevd[^-]' | head -n 1 | cut -d: -f1)
		[ -n "$first" ] && [ -n "$sum" ] && [ "$first" -lt "$sum" ] ||
			fail "bochs-drm did not bind card 2 before systemd-udevd started (lines ${first:-none}, ${sum:-none})"
		;;
	modules-load)
		run vfe_sd_console "$n"
		assert_line --regexp 'Finished systemd-modules-l.*Load Kernel Modules'
		assert_line --regexp "bochs-drm $VFE_CARD2_VGA: "
		;;
	esac
}
