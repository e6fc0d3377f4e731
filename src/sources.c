// SPDX-License-Identifier: GPL-2.0-or-later
/* Where rules come from: the kernel command line and the config file. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "cmdline.h"
#include "config.h"
#include "log.h"
#include "modload.h"
#include "sources.h"
#include "util.h"

static bool is_symlink(int dirfd, const char *path)
{
	struct stat st;

	return fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

const char *sources_config_name(const char *config)
{
	return config ? config : "/" CONFIG_FILE;
}

void rules_load(const char *root, int rootfd, const char *config, bool stop_when_off,
		struct ruleset *rs)
{
	_cleanup_free_ char *cmdline = NULL, *conf = NULL;
	const char *name = sources_config_name(config);
	size_t len;

	cmdline = read_file_at(rootfd, "proc/cmdline", CMDLINE_MAX, &len);
	if (cmdline)
		cmdline_parse(cmdline, len, rs);
	else
		log_warn("cannot read /proc/cmdline: %s", strerror(errno));
	if (rs->off && stop_when_off)
		return;
	/* vfio-pci's own ids= in modprobe.d: rules too, checked like the rest. */
	modload_legacy_ids(root, rootfd, rs);

	if (config)
		conf = read_file_at(AT_FDCWD, config, CONFIG_MAX, &len);
	else
		conf = read_file_at(rootfd, CONFIG_FILE, CONFIG_MAX, &len);
	if (conf) {
		config_parse(name, conf, len, rs);
	} else if (errno == ENOENT && !config && !is_symlink(rootfd, CONFIG_FILE)) {
		log_info("no %s, using the kernel command line only", name);
	} else if (errno == ENOENT && !config) {
		rs->errors++;
		log_warn("%s: a link to nothing, ignored", name);
	} else {
		rs->errors++;
		log_warn("%s: %s, ignored", name, errno == EFBIG ? "larger than 4 MiB" :
			 strerror(errno));
	}
	ruleset_flush_errors(rs);
}
