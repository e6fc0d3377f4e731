# bash completion for vfio-early(8).
# Installed as /usr/share/bash-completion/completions/vfio-early.
# Uses plain COMP_WORDS/compgen, so it needs nothing from the bash-completion
# package.
# shellcheck shell=bash

_vfio_early_options='--dry-run -n --yes -y --config -c --root -r --quiet -q --report --json --capture
--import --list-protected --list-modules --zfs-vdevs --late --verbose -v --version -V --help -h --all'

# vfio-early select [--append] [--root DIR] [--config FILE] DEVICE|SLOT
_vfio_early_select_options='--append -a --config -c --root -r --verbose -v --help -h'

# _vfio_early_paths KIND WORD: file names (KIND=file), directories (dir), or
# block devices and the directories that lead to them (block).
_vfio_early_paths() {
	local kind=$1 cur=$2 f
	local -a found=()

	if [[ $kind == block && -z $cur ]]; then
		cur=/dev/
	fi
	case $kind in
	file) mapfile -t found < <(compgen -f -- "$cur") ;;
	dir) mapfile -t found < <(compgen -d -- "$cur") ;;
	block)
		while IFS= read -r f; do
			if [[ -b $f || -d $f ]]; then
				found+=("$f")
			fi
		done < <(compgen -f -- "$cur")
		;;
	esac
	compopt -o filenames 2>/dev/null || :
	COMPREPLY+=("${found[@]}")
}

_vfio_early() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev='' opt='' i
	COMPREPLY=()
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

	# --opt=value: bash splits it at '=' when '=' is in COMP_WORDBREAKS
	# (the default); otherwise it arrives as one word.
	if [[ $prev == = ]] && ((COMP_CWORD >= 2)); then
		opt=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $cur == --*=* ]]; then
		opt=${cur%%=*}
		cur=${cur#*=}
	else
		opt=$prev
	fi

	case $opt in
	--config | -c)
		_vfio_early_paths file "$cur"
		return 0
		;;
	--zfs-vdevs)
		# POOL=/dev/DEVICE,...: what zpool(8) says; nothing to guess here.
		return 0
		;;
	--root | -r | --capture | --late)
		_vfio_early_paths dir "$cur"
		return 0
		;;
	--list-modules)
		# A kernel release: the ones this host has modules for.
		# shellcheck disable=SC2207
		COMPREPLY=($(compgen -W "$(cd /lib/modules 2>/dev/null && printf '%s ' *)" -- "$cur"))
		return 0
		;;
	esac

	# The subcommand: its options, or the PCI addresses of this host.
	if ((COMP_CWORD > 1)) && [[ ${COMP_WORDS[1]} == select ]]; then
		if [[ $cur == -* ]]; then
			# shellcheck disable=SC2207
			COMPREPLY=($(compgen -W "$_vfio_early_select_options" -- "$cur"))
		else
			# shellcheck disable=SC2207
			COMPREPLY=($(compgen -W "$(cd /sys/bus/pci/devices 2>/dev/null && printf '%s ' *)" -- "$cur"))
		fi
		return 0
	fi

	if [[ $cur == -* ]]; then
		# shellcheck disable=SC2207 # the option names hold no spaces
		COMPREPLY=($(compgen -W "$_vfio_early_options" -- "$cur"))
		return 0
	fi
	if ((COMP_CWORD == 1)); then
		# shellcheck disable=SC2207
		COMPREPLY=($(compgen -W "select $_vfio_early_options" -- "$cur"))
		return 0
	fi

	# Positional arguments exist only for --list-protected: block devices.
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} == --list-protected ]]; then
			_vfio_early_paths block "$cur"
			return 0
		fi
	done
	# shellcheck disable=SC2207
	COMPREPLY=($(compgen -W "$_vfio_early_options" -- "$cur"))
	return 0
}

complete -F _vfio_early vfio-early
