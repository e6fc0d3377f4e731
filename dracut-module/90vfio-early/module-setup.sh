#!/bin/bash
# shellcheck disable=SC2154 # kernel, moddir, srcmods, hostonly are dracut's
# dracut module for vfio-early: puts the binary, its runtime shim,
# /etc/vfio-early.conf, the protected-device list and the vfio modules into
# the image, and runs the shim before anything loads or binds a driver:
#   - with systemd in the image (dracut-systemd, as Fedora and RHEL build
#     them): vfio-early.service, ordered before systemd-modules-load,
#     dracut-cmdline, dracut-pre-udev and systemd-udevd; the late pass is
#     vfio-early-late.service (after /sysroot is mounted);
#   - without systemd: a cmdline hook at priority 00, before parse-kernel.sh
#     (01) loads the rd.driver.pre= modules, see vfio-early.sh; the late pass
#     is a pre-pivot hook, vfio-early-late.sh.
# One or the other, never both; the shim runs each pass once per boot anyway.
#
# Included by default when /etc/vfio-early.conf exists (host-only images) and
# in generic images; add_dracutmodules+=" vfio-early " always includes it.
# A missing config or module is a warning, never a failed build.
#
# The binary in the image is the static build when it is installed
# (/usr/lib/vfio-early/vfio-early-static, from `make static`): one file, no
# libraries.  Otherwise the dynamic /usr/sbin/vfio-early goes in with the
# libraries it links.  Either way it is /usr/sbin/vfio-early in the image.
#
# Environment (images for another machine, tests): VFIO_EARLY_BINARY (the
# binary to put in, whatever is installed), VFIO_EARLY_LIBDIR (shim, helpers
# and the static build), VFIO_EARLY_CONFIG name the files copied into the
# image; VFIO_EARLY_PROTECTED names a ready protected list; VFIO_EARLY_UNITDIR
# the directory of the systemd units (default: systemd/system beside the
# libdir, /usr/lib/systemd/system).

vfio_early_libdir() {
    echo "${VFIO_EARLY_LIBDIR:-/usr/lib/vfio-early}"
}

vfio_early_unitdir() {
    local _lib
    _lib=$(vfio_early_libdir)
    echo "${VFIO_EARLY_UNITDIR:-${_lib%/*}/systemd/system}"
}

vfio_early_static() {
    echo "$(vfio_early_libdir)/vfio-early-static"
}

vfio_early_binary() {
    local _static
    _static=$(vfio_early_static)
    if [[ ${VFIO_EARLY_BINARY-} ]]; then
        echo "$VFIO_EARLY_BINARY"
    elif [[ -f $_static && -x $_static ]]; then
        echo "$_static"
    else
        echo /usr/sbin/vfio-early
    fi
}

vfio_early_config() {
    echo "${VFIO_EARLY_CONFIG:-/etc/vfio-early.conf}"
}

# vfio_early_have_module NAME: is NAME a module or built in for $kernel?
vfio_early_have_module() {
    local _name="${1//[-_]/[-_]}"
    grep -qE "(^|/)${_name}\.ko(\.[a-z]+)?(:|\$)" \
        "${srcmods:?}/modules.dep" "${srcmods}/modules.builtin" 2> /dev/null
}

# called by dracut
check() {
    [[ -x "$(vfio_early_binary)" ]] || return 1
    # Generic images carry it: rules may come from the kernel command line.
    [[ $hostonly ]] || return 0
    [[ -f "$(vfio_early_config)" ]] && return 0
    return 255
}

# called by dracut
depends() {
    return 0
}

# called by dracut
installkernel() {
    local _mod _found=()
    # vfio-pci-core exists from 5.15, vfio_virqfd until 6.1 (part of vfio in
    # 6.2 and later): install those that exist for this kernel.
    for _mod in vfio vfio_iommu_type1 vfio-pci vfio-pci-core irqbypass vfio_virqfd; do
        if vfio_early_have_module "$_mod"; then
            _found+=("$_mod")
        else
            case $_mod in
                vfio | vfio_iommu_type1 | vfio-pci)
                    dwarn "vfio-early: module $_mod not found for kernel $kernel: devices cannot be bound at boot"
                    ;;
            esac
        fi
    done
    if ((${#_found[@]})); then
        hostonly='' instmods "${_found[@]}" \
            || dwarn "vfio-early: could not install all of: ${_found[*]}"
    fi
    # The selected devices' variant drivers and vendor-reset (vfio-early
    # --list-modules); VFIO_EARLY_MODULES names them for another machine.
    local _extra
    if [[ -n ${VFIO_EARLY_MODULES+set} ]]; then
        _extra=$VFIO_EARLY_MODULES
    else
        _extra=$("$(vfio_early_binary)" ${VFIO_EARLY_ROOT:+--root "$VFIO_EARLY_ROOT"} \
            --config "$(vfio_early_config)" --list-modules "$kernel" 2> /dev/null) || :
    fi
    for _mod in $_extra; do
        hostonly='' instmods "$_mod" || dwarn "vfio-early: could not install module $_mod"
    done
    return 0
}

# called by dracut
install() {
    local _bin _libdir _config _list
    _bin=$(vfio_early_binary)
    _libdir=$(vfio_early_libdir)
    _config=$(vfio_early_config)

    # Same paths inside the image as on the host: the hook runs them there.
    # The static build needs no library: inst_simple copies the file alone.
    if [[ $_bin == "$(vfio_early_static)" ]]; then
        inst_simple "$_bin" /usr/sbin/vfio-early \
            || dwarn "vfio-early: could not install $_bin"
    else
        inst_binary "$_bin" /usr/sbin/vfio-early \
            || dwarn "vfio-early: could not install $_bin"
    fi
    inst_simple "$_libdir/vfio-early-shim" /usr/lib/vfio-early/vfio-early-shim \
        || dwarn "vfio-early: $_libdir/vfio-early-shim not found: vfio-early will not run at boot"
    # The shim needs these besides shell builtins.
    inst_multiple -o mkdir sleep

    if [[ -f $_config ]]; then
        inst_simple "$_config" /etc/vfio-early.conf
    else
        dwarn "vfio-early: $_config not found: only vfio_early.* rules on the kernel command line will apply"
    fi

    # The controllers of the root filesystem, recorded while the host is up
    # (the same generator as the initramfs-tools hook).
    _list="$DRACUT_TMPDIR/vfio-early-protected"
    if [[ -x "$_libdir/vfio-early-protected" ]]; then
        "$_libdir/vfio-early-protected" "$_bin" "$_list"
        inst_simple "$_list" /lib/vfio-early/protected \
            || dwarn "vfio-early: could not install the protected-device list"
    else
        dwarn "vfio-early: $_libdir/vfio-early-protected not found: no protected-device list in the image"
    fi

    if dracut_module_included "systemd"; then
        vfio_early_install_units
    else
        inst_hook cmdline 00 "$moddir/vfio-early.sh"
        inst_hook pre-pivot 80 "$moddir/vfio-early-late.sh"
    fi
}

# The units and their enable links, in the image's unit directory.  The
# units have no [Install] section: these links are all that enables them,
# and only in the initramfs.
vfio_early_install_units() {
    local _dir _unit _target _sysdir
    _dir=$(vfio_early_unitdir)
    _sysdir=${systemdsystemunitdir:-/usr/lib/systemd/system}
    for _unit in vfio-early.service:sysinit.target vfio-early-late.service:initrd.target; do
        _target=${_unit#*:}
        _unit=${_unit%%:*}
        if inst_simple "$_dir/$_unit" "$_sysdir/$_unit"; then
            mkdir -p "$initdir$_sysdir/$_target.wants"
            ln -sfn "../$_unit" "$initdir$_sysdir/$_target.wants/$_unit"
        else
            dwarn "vfio-early: $_dir/$_unit not found: vfio-early will not run at boot in this systemd image"
        fi
    done
}
