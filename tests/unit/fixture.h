/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests that need a machine: a fake root built by mkfakesys from a
 * spec in tests/fixtures (plus extra spec lines), then the same steps the
 * binary takes, with the results left in the struct for checks.
 */
#ifndef VFIO_EARLY_FIXTURE_H
#define VFIO_EARLY_FIXTURE_H

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "config.h"
#include "pci.h"
#include "plan.h"
#include "inuse.h"
#include "protect.h"
#include "protlist.h"
#include "rules.h"
#include "util.h"

struct fx {
	char dir[256];
	int rootfd;
	struct ruleset rs;
	struct protect prot;
	struct pci_tree t;
	struct plan pl;
};

static inline int fx_make(struct fx *f, const char *spec, const char *extra)
{
	const char *gen = getenv("MKFAKESYS");
	char cmd[1024], specfile[300];
	FILE *out;

	memset(f, 0, sizeof(*f));
	f->rootfd = -1;
	f->t.devfd = -1;
	snprintf(f->dir, sizeof(f->dir), "%s/vfio-early-unit.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!gen || !mkdtemp(f->dir)) {
		printf("#   MKFAKESYS unset or no temp dir\n");
		return -1;
	}
	snprintf(specfile, sizeof(specfile), "%s.spec", f->dir);
	snprintf(cmd, sizeof(cmd), "cat tests/fixtures/%s.spec > %s", spec, specfile);
	if (system(cmd) != 0)
		return -1;
	out = fopen(specfile, "a");
	if (!out)
		return -1;
	fprintf(out, "\n%s\n", extra ? extra : "");
	fclose(out);
	snprintf(cmd, sizeof(cmd), "%s %s %s/root", gen, specfile, f->dir);
	if (system(cmd) != 0)
		return -1;
	unlink(specfile);
	snprintf(cmd, sizeof(cmd), "%s/root", f->dir);
	f->rootfd = open(cmd, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return f->rootfd < 0 ? -1 : 0;
}

/* The image's protected list, as the hook writes it at image build. */
static inline int fx_write_list(struct fx *f, const char *list)
{
	char path[400];
	FILE *out;

	snprintf(path, sizeof(path), "%s/root/lib", f->dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/root/lib/vfio-early", f->dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/root/lib/vfio-early/protected", f->dir);
	if (!(out = fopen(path, "w")))
		return -1;
	fputs(list, out);
	return fclose(out) == 0 ? 0 : -1;
}

/*
 * @text as the file @rel of the fake root (its directories made), checked:
 * a modprobe.d file, a command line, a kernel release.
 */
__attribute__((unused)) static void fx_put(int rootfd, const char *rel, const char *text)
{
	char dir[256];
	int fd;

	for (const char *s = strchr(rel, '/'); s; s = strchr(s + 1, '/')) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(s - rel), rel);
		mkdirat(rootfd, dir, 0755);
	}
	fd = openat(rootfd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

/* Rules from the fake proc/cmdline and @config, then walk and plan. */
static inline int fx_plan(struct fx *f, const char *config)
{
	struct protect_sources src;
	size_t len;
	char *buf = read_file_at(f->rootfd, "proc/cmdline", 65536, &len);

	if (buf)
		cmdline_parse(buf, len, &f->rs);
	free(buf);
	if (config)
		config_parse("/etc/vfio-early.conf", config, strlen(config), &f->rs);
	if (pci_scan(&f->t, f->rootfd) < 0)
		return -1;
	protect_sources_from(&src, &f->rs);
	protect_for_run(&f->prot, &f->t, f->rootfd, false, &src, NULL);
	return plan_build(&f->pl, &f->t, &f->rs, &f->prot);
}

static inline int fx_setup(struct fx *f, const char *spec, const char *extra, const char *config)
{
	if (fx_make(f, spec, extra) < 0 || fx_plan(f, config) < 0) {
		printf("#   fixture %s failed\n", spec);
		return -1;
	}
	return 0;
}

static inline void fx_free(struct fx *f)
{
	char cmd[400];

	plan_free(&f->pl);
	pci_tree_free(&f->t);
	protect_free(&f->prot);
	ruleset_free(&f->rs);
	if (f->rootfd >= 0)
		close(f->rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (f->dir[0] && system(cmd) != 0)
		printf("#   cannot remove %s\n", f->dir);
}

/* The plan item of a device, or NULL. */
static inline const struct plan_item *fx_item(const struct fx *f, const char *name)
{
	for (size_t i = 0; i < f->pl.n; i++)
		if (strcmp(f->pl.v[i].dev->name, name) == 0)
			return &f->pl.v[i];
	return NULL;
}

/* Why an item was refused or failed; "(not in plan)" when absent. */
__attribute__((noinline, unused)) static const char *fx_reason(const struct fx *f, const char *name)
{
	const struct plan_item *it = fx_item(f, name);

	return it ? it->reason : "(not in plan)";
}

/* Space-separated names of the items that will be bound. */
static inline const char *fx_bound(const struct fx *f)
{
	static char buf[1024];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < f->pl.n; i++)
		if (!plan_refused(&f->pl.v[i]))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? " " : "",
					      f->pl.v[i].dev->name);
	return buf;
}

static inline const char *fx_refused(const struct fx *f)
{
	static char buf[1024];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < f->pl.n; i++)
		if (plan_refused(&f->pl.v[i]))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? " " : "",
					      f->pl.v[i].dev->name);
	return buf;
}

/*
 * A module for the fake root's kernel, as depmod sees one: an ELF object
 * whose .modinfo holds "name=NAME" and one "alias=PATTERN" per @aliases
 * (NULL-terminated), at lib/modules/KVER/kernel/NAME.ko.  Then fx_depmod()
 * builds the indexes libkmod reads (modules.alias.bin...).
 */
#include <elf.h>
#include <sys/stat.h>

#include "sysfs.h"

__attribute__((unused)) static int fx_module(struct fx *f, const char *name,
					     const char *const *aliases)
{
	static const char shstr[] = "\0.modinfo\0.shstrtab", pad[8] = { 0 };
	char info[2048], path[512], cmd[600], kver[128];
	size_t n = (size_t)snprintf(info, sizeof(info), "name=%s", name) + 1;
	Elf64_Ehdr eh = { .e_type = ET_REL, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			  .e_ehsize = sizeof(Elf64_Ehdr), .e_shentsize = sizeof(Elf64_Shdr),
			  .e_shnum = 3, .e_shstrndx = 2 };
	Elf64_Shdr sh[3] = { { 0 } };
	FILE *out;

	for (; *aliases && n < sizeof(info) - 256; aliases++)
		n += (size_t)snprintf(info + n, sizeof(info) - n, "alias=%s", *aliases) + 1;
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	sh[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC,
			      .sh_offset = sizeof(eh), .sh_size = n, .sh_addralign = 1 };
	sh[2] = (Elf64_Shdr){ .sh_name = 10, .sh_type = SHT_STRTAB,
			      .sh_offset = sizeof(eh) + n, .sh_size = sizeof(shstr),
			      .sh_addralign = 1 };
	eh.e_shoff = (sizeof(eh) + n + sizeof(shstr) + 7) & ~(Elf64_Off)7;
	if (read_attr(f->rootfd, "proc/sys/kernel/osrelease", kver, sizeof(kver)) <= 0)
		return -1;
	snprintf(path, sizeof(path), "%s/root/lib/modules/%s/kernel", f->dir, kver);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", path);
	if (system(cmd) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/root/lib/modules/%s/kernel/%s.ko", f->dir, kver, name);
	out = fopen(path, "w");
	if (!out)
		return -1;
	fwrite(&eh, sizeof(eh), 1, out);
	fwrite(info, 1, n, out);
	fwrite(shstr, 1, sizeof(shstr), out);
	fwrite(pad, 1, eh.e_shoff - (sizeof(eh) + n + sizeof(shstr)), out);
	fwrite(sh, sizeof(sh[0]), 3, out);
	return fclose(out) == 0 ? 0 : -1;
}

/* depmod over the fake root's modules; -1 (say why) when it cannot run. */
__attribute__((unused)) static int fx_depmod(struct fx *f)
{
	char cmd[600], kver[128];

	if (read_attr(f->rootfd, "proc/sys/kernel/osrelease", kver, sizeof(kver)) <= 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "depmod -b %s/root %s 2>/dev/null", f->dir, kver);
	if (system(cmd) != 0) {
		printf("#   depmod failed (is kmod installed?)\n");
		return -1;
	}
	return 0;
}

#endif
