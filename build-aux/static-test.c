/* build-aux/static-test.c: checks a static musl link of libkmod (with zstd and xz) and
 * libblkid.  Built by `make static-test`; not part of vfio-early.
 *
 *   static-test kmod MODDIR NAME...   look NAME up in MODDIR (a /lib/modules/KVER
 *                                     directory), print its path, dependencies and
 *                                     modinfo fields (this reads, and so decompresses,
 *                                     the module file)
 *   static-test blkid SPEC...         resolve UUID=/LABEL=/PARTUUID=/path with
 *                                     blkid_evaluate_spec
 *   static-test probe FILE...         probe FILE (an image or a device) for a filesystem
 *                                     and a partition table, print what was found
 * Exit status 0 when every NAME, SPEC or FILE was resolved, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <blkid/blkid.h>
#include <libkmod.h>

static void log_fn(void *data, int priority, const char *file, int line, const char *fn,
		   const char *format, va_list args)
{
	(void)data; (void)file; (void)line; (void)fn;
	if (priority <= LOG_ERR) {
		fputs("libkmod: ", stderr);
		vfprintf(stderr, format, args);
	}
}

static int test_module(struct kmod_ctx *ctx, const char *name)
{
	struct kmod_list *list = NULL, *l;
	int found = 0, bad = 0;

	if (kmod_module_new_from_lookup(ctx, name, &list) < 0 || list == NULL) {
		printf("FAIL %s: not found\n", name);
		return 1;
	}
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);
		struct kmod_list *info = NULL, *deps, *i;
		const char *path = kmod_module_get_path(mod);
		const char *vermagic = NULL, *license = NULL;
		int n, ndeps = 0;

		found++;
		deps = kmod_module_get_dependencies(mod);
		kmod_list_foreach(i, deps)
			ndeps++;
		kmod_module_unref_list(deps);

		n = kmod_module_get_info(mod, &info);
		if (n <= 0) {
			printf("FAIL %s: %s: cannot read modinfo (%d)\n", kmod_module_get_name(mod),
			       path ? path : "(builtin)", n);
			bad++;
			kmod_module_unref(mod);
			continue;
		}
		kmod_list_foreach(i, info) {
			const char *k = kmod_module_info_get_key(i);
			if (strcmp(k, "vermagic") == 0)
				vermagic = kmod_module_info_get_value(i);
			else if (strcmp(k, "license") == 0)
				license = kmod_module_info_get_value(i);
		}
		printf("OK %s path=%s deps=%d modinfo=%d license=%s vermagic=%s\n",
		       kmod_module_get_name(mod), path ? path : "(builtin)", ndeps, n,
		       license ? license : "-", vermagic ? vermagic : "-");
		if (vermagic == NULL)
			bad++;
		kmod_module_info_free_list(info);
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	return found == 0 || bad != 0;
}

static int probe_file(const char *file)
{
	static const char *const keys[] = { "TYPE", "UUID", "LABEL", "PTTYPE", "PTUUID" };
	blkid_probe pr = blkid_new_probe_from_filename(file);
	int found = 0;

	if (pr == NULL) {
		printf("FAIL %s: cannot open\n", file);
		return 1;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
					  BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	printf("%s:", file);
	if (blkid_do_safeprobe(pr) == 0) {
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			const char *v;
			if (blkid_probe_lookup_value(pr, keys[k], &v, NULL) == 0) {
				printf(" %s=%s", keys[k], v);
				found++;
			}
		}
	}
	blkid_partlist ls = blkid_probe_get_partitions(pr);
	for (int i = 0; ls && i < blkid_partlist_numof_partitions(ls); i++) {
		blkid_partition par = blkid_partlist_get_partition(ls, i);
		const char *uuid = blkid_partition_get_uuid(par);
		printf(" part%d:PARTUUID=%s", blkid_partition_get_partno(par), uuid ? uuid : "-");
	}
	printf("%s\n", found ? "" : " nothing found");
	blkid_free_probe(pr);
	return found == 0;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc >= 3 && strcmp(argv[1], "kmod") == 0) {
		struct kmod_ctx *ctx = kmod_new(argv[2], NULL);
		if (ctx == NULL) {
			fprintf(stderr, "kmod_new(%s) failed\n", argv[2]);
			return 1;
		}
		kmod_set_log_fn(ctx, log_fn, NULL);
		for (int a = 3; a < argc; a++)
			rc |= test_module(ctx, argv[a]);
		kmod_unref(ctx);
	} else if (argc >= 2 && strcmp(argv[1], "blkid") == 0) {
		blkid_cache cache = NULL;
		if (blkid_get_cache(&cache, "/dev/null") < 0)
			return 1;
		for (int a = 2; a < argc; a++) {
			char *dev = blkid_evaluate_spec(argv[a], &cache);
			printf("%s %s -> %s\n", dev ? "OK" : "FAIL", argv[a], dev ? dev : "(none)");
			rc |= dev == NULL;
			free(dev);
		}
		blkid_put_cache(cache);
	} else if (argc >= 2 && strcmp(argv[1], "probe") == 0) {
		for (int a = 2; a < argc; a++)
			rc |= probe_file(argv[a]);
	} else {
		fprintf(stderr, "usage: %s kmod MODDIR NAME... | blkid SPEC... | probe FILE...\n", argv[0]);
		return 2;
	}
	return rc;
}
