// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * state.c: the state file a run leaves in run/vfio-early (state, or late
 * for the late pass), written from a real plan on the two-cards fixture
 * and read back; files that are missing, of another format, cut short or
 * garbled; state_field's words.
 */
#include "unit.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bind.h"
#include "fixture.h"
#include "state.h"

#define CARD1_VGA "0000:0a:00.0"
#define CARD2_VGA "0000:0b:00.0"
#define CARD2_HDA "0000:0b:00.1"

/* The whole content of a file of the tree; "(unreadable)" when it cannot be read. */
static const char *file_text(int rootfd, const char *path)
{
	static char buf[8192];
	size_t len;
	char *s = read_file_at(rootfd, path, sizeof(buf) - 1, &len);

	snprintf(buf, sizeof(buf), "%s", s ? s : "(unreadable)");
	free(s);
	return buf;
}

/* A temporary directory to hold a hand-written state file; its fd. */
static int scratch(char *dir, size_t size)
{
	int fd;

	snprintf(dir, size, "%s/vfio-early-state.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && mkdirat(fd, "run", 0755) == 0 && mkdirat(fd, STATE_DIR, 0755) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

static void scratch_free(const char *dir, int fd)
{
	char cmd[400];

	close(fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("#   cannot remove %s\n", dir);
}

/* @text as the state file (no newline added). */
static void put_state(int rootfd, const char *text)
{
	int fd = openat(rootfd, STATE_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(text);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_INT(write(fd, text, len), (long long)len);
	close(fd);
}

static const struct state_dev *dev_in(const struct boot_state *st, const char *addr)
{
	for (size_t i = 0; i < st->ndev; i++)
		if (strcmp(st->dev[i].addr, addr) == 0)
			return &st->dev[i];
	return NULL;
}

/* The two-cards fixture planned with @config and bound under its fake root. */
static int planned_and_bound(struct fx *f, const char *config)
{
	char root[300];

	if (fx_setup(f, "two-cards", NULL, config) < 0) {
		unit_failed = 1;
		return -1;
	}
	snprintf(root, sizeof(root), "%s/root", f->dir);
	bind_run(&f->pl, &f->t, root);
	return 0;
}

TEST(written_and_read_back)
{
	struct run_summary s = {
		.mode = "boot", .exit_status = 3, .bound = 0, .override_set = 2, .failed = 0,
		.refused = 2, .rule_errors = 1, .excluded = 0, .iommu = 1,
		.kernel = "6.1.0-56-amd64",
	};
	static const char head[] = "vfio-early-state 1\nrun mode=boot exit=3 bound=0 override_set=2 "
				   "failed=0 refused=2 rule_errors=1 excluded=0 iommu=1 "
				   "kernel=6.1.0-56-amd64\n";
	struct boot_state st;
	const struct state_dev *d;
	const char *text;
	struct fx f;

	/* card 1 refused (the boot display), card 2 overridden */
	if (planned_and_bound(&f, "address 0a:00\naddress 0b:00\n") < 0)
		return;
	CHECK_INT(state_write(f.rootfd, &s, &f.pl, &f.prot), 0);
	text = file_text(f.rootfd, STATE_FILE);
	CHECK(strncmp(text, head, strlen(head)) == 0);
	CHECK(strstr(text, "\nproof verified=") != NULL);
	CHECK(strstr(text, "\ndevice addr=" CARD2_VGA " ids=10de:2204 sub=10de:1492 class=030000 "
		      "group=21 boot_vga=0 via=rule rule=/etc/vfio-early.conf:2 result=override-set "
		      "refusal=none driver=nvidia reason=\n") != NULL);
	/* written atomically: no temporary file is left */
	CHECK_INT(faccessat(f.rootfd, STATE_FILE ".tmp", F_OK, 0), -1);

	memset(&st, 0, sizeof(st));
	CHECK_INT(state_read(f.rootfd, STATE_FILE, &st), 0);
	CHECK(st.present);
	CHECK_STR(st.mode, "boot");
	CHECK_INT(st.exit_status, 3);
	CHECK_INT(st.bound, 0);
	CHECK_INT(st.failed, 0);
	CHECK_INT(st.refused, 2);
	CHECK_STR(st.kernel, "6.1.0-56-amd64");
	CHECK(st.proof_seen);
	CHECK_INT(st.ndev, f.pl.n);
	d = dev_in(&st, CARD2_HDA);
	CHECK(d != NULL);
	if (d) {
		CHECK_STR(d->result, "override-set");
		CHECK_STR(d->refusal, "none");
		CHECK_STR(d->reason, "");
	}
	d = dev_in(&st, CARD1_VGA);
	CHECK(d != NULL);
	if (d) {
		CHECK_STR(d->result, "refused");
		CHECK_STR(d->refusal, "boot-vga");
		CHECK_STR(d->reason, fx_reason(&f, CARD1_VGA));
	}
	state_read_free(&st);
	CHECK(st.dev == NULL);
	CHECK_INT(st.ndev, 0);
	fx_free(&f);
}

TEST(late_file_kept_apart_and_replaced)
{
	struct run_summary first = { .mode = "boot", .iommu = 1, .kernel = "" };
	struct run_summary late = { .mode = "late", .file = STATE_LATE_FILE, .exit_status = 0,
				    .override_set = 2, .iommu = 1 };
	struct boot_state st;
	struct fx f;

	if (planned_and_bound(&f, "address 0b:00\n") < 0)
		return;
	CHECK_INT(state_write(f.rootfd, &first, &f.pl, &f.prot), 0);
	/* the late pass writes its own file, twice: the second replaces the first */
	CHECK_INT(state_write(f.rootfd, &late, NULL, NULL), 0);
	late.exit_status = 2;
	CHECK_INT(state_write(f.rootfd, &late, &f.pl, NULL), 0);
	memset(&st, 0, sizeof(st));
	CHECK_INT(state_read(f.rootfd, STATE_LATE_FILE, &st), 0);
	CHECK_STR(st.mode, "late");
	CHECK_INT(st.exit_status, 2);
	CHECK_INT(st.ndev, 2);
	/* no protect: no proof line; no kernel: "-" */
	CHECK(!st.proof_seen);
	CHECK_STR(st.kernel, "-");
	state_read_free(&st);
	/* the early pass's file is as it was */
	memset(&st, 0, sizeof(st));
	CHECK_INT(state_read(f.rootfd, STATE_FILE, &st), 0);
	CHECK_STR(st.mode, "boot");
	CHECK_STR(st.kernel, "-");
	CHECK(st.proof_seen);
	state_read_free(&st);
	fx_free(&f);
}

TEST(rule_origins_are_one_word)
{
	struct run_summary s = { .mode = "boot", .iommu = 1 };
	const char *text;
	struct fx f;

	if (fx_setup(&f, "two-cards", NULL, NULL) < 0) {
		unit_failed = 1;
		return;
	}
	/* a rule from a file whose name has a space and a tab, and one from the command line */
	config_parse("/etc/my rules\t.conf", "address 0b:00.0\n", 16, &f.rs);
	cmdline_parse("vfio_early.devices=0b:00.1", 26, &f.rs);
	plan_free(&f.pl);
	CHECK_INT(plan_build(&f.pl, &f.t, &f.rs, &f.prot), 0);
	CHECK_INT(state_write(f.rootfd, &s, &f.pl, &f.prot), 0);
	text = file_text(f.rootfd, STATE_FILE);
	CHECK(strstr(text, " rule=/etc/my_rules_.conf:1 ") != NULL);
	CHECK(strstr(text, " rule=cmdline:vfio_early.devices ") != NULL);
	fx_free(&f);
}

TEST(missing_or_foreign_files_are_none)
{
	struct boot_state st;
	char dir[300];
	int fd = scratch(dir, sizeof(dir));

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	memset(&st, 0, sizeof(st));
	CHECK_INT(state_read(fd, STATE_FILE, &st), -ENOENT);
	CHECK(!st.present);
	put_state(fd, "");
	CHECK_INT(state_read(fd, STATE_FILE, &st), -ENOENT);
	put_state(fd, "vfio-early-state 2\nrun mode=boot exit=0\n");
	CHECK_INT(state_read(fd, STATE_FILE, &st), -ENOENT);
	/* the header without its newline is not the format either */
	put_state(fd, "vfio-early-state 1");
	CHECK_INT(state_read(fd, STATE_FILE, &st), -ENOENT);
	put_state(fd, "run mode=boot exit=0 bound=2\n");
	CHECK_INT(state_read(fd, STATE_FILE, &st), -ENOENT);
	CHECK(!st.present);
	CHECK_INT(st.ndev, 0);
	/* a header alone: present, nothing else */
	put_state(fd, "vfio-early-state 1\n");
	CHECK_INT(state_read(fd, STATE_FILE, &st), 0);
	CHECK(st.present);
	CHECK_STR(st.mode, "");
	CHECK(!st.proof_seen);
	CHECK_INT(st.ndev, 0);
	state_read_free(&st);
	scratch_free(dir, fd);
}

TEST(garbled_lines_are_skipped)
{
	struct boot_state st;
	const struct state_dev *d;
	char dir[300];
	int fd = scratch(dir, sizeof(dir));

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	put_state(fd, "vfio-early-state 1\n"
		      "run mode=late exit=x bound=2 rebound=7 failed=1\n"
		      "\n"
		      "some line that is no record\n"
		      "device addr=0000:01:00.0\n"
		      "device result=bound\n"
		      "device addr=0000:02:00.0 result=failed reason=writing driver_override: "
		      "No such file or directory\n"
		      "proof verified=1 live=0 net_root=0 reason=\n"
		      "device addr=0000:03:00.0 result=refused refusal=root reason=holds the root "
		      "filesystem (mounted /)");
	memset(&st, 0, sizeof(st));
	CHECK_INT(state_read(fd, STATE_FILE, &st), 0);
	CHECK_STR(st.mode, "late");
	/* not a number: 0; " bound=" is not matched inside "rebound=" */
	CHECK_INT(st.exit_status, 0);
	CHECK_INT(st.bound, 2);
	CHECK_INT(st.failed, 1);
	CHECK_INT(st.refused, 0);
	CHECK_STR(st.kernel, "");
	CHECK(st.proof_seen);
	CHECK(st.proof_verified);
	CHECK(!st.proof_live);
	CHECK_STR(st.proof_reason, "");
	/* a device record needs its address and its result */
	CHECK_INT(st.ndev, 2);
	CHECK(dev_in(&st, "0000:01:00.0") == NULL);
	d = dev_in(&st, "0000:02:00.0");
	CHECK(d != NULL);
	if (d) {
		CHECK_STR(d->result, "failed");
		CHECK_STR(d->refusal, "none");
		CHECK_STR(d->reason, "writing driver_override: No such file or directory");
	}
	/* the last line, without its newline, is read whole */
	d = dev_in(&st, "0000:03:00.0");
	CHECK(d != NULL);
	if (d) {
		CHECK_STR(d->refusal, "root");
		CHECK_STR(d->reason, "holds the root filesystem (mounted /)");
	}
	state_read_free(&st);
	scratch_free(dir, fd);
}

TEST(overlong_fields_are_cut_to_their_buffers)
{
	struct boot_state st;
	char text[1024], dir[300];
	int fd = scratch(dir, sizeof(dir));

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	snprintf(text, sizeof(text),
		 "vfio-early-state 1\nrun mode=%s exit=0 kernel=%s\n"
		 "device addr=0000:01:00.0000000000000000 result=%s reason=r\n",
		 "bootbootbootbootbootboot",
		 "6.1.0-56-amd64-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		 "override-set-override-set-override-set");
	put_state(fd, text);
	memset(&st, 0, sizeof(st));
	CHECK_INT(state_read(fd, STATE_FILE, &st), 0);
	CHECK_INT(strlen(st.mode), sizeof(st.mode) - 1);
	CHECK(strncmp(st.mode, "bootbootboot", 12) == 0);
	CHECK_INT(strlen(st.kernel), sizeof(st.kernel) - 1);
	CHECK_INT(st.ndev, 1);
	if (st.ndev == 1) {
		CHECK_INT(strlen(st.dev[0].addr), PCI_ADDR_STRLEN - 1);
		CHECK_INT(strlen(st.dev[0].result), sizeof(st.dev[0].result) - 1);
		CHECK_STR(st.dev[0].reason, "r");
	}
	state_read_free(&st);
	scratch_free(dir, fd);
}

TEST(field_words)
{
	const char *line = "device addr=0000:01:00.0 rebound=9 bound=2 empty= reason=a b  c";
	char buf[16], small[4];

	CHECK_STR(state_field(line, "addr", buf, sizeof(buf)), "0000:01:00.0");
	CHECK_STR(state_field(line, "bound", buf, sizeof(buf)), "2");
	CHECK_STR(state_field(line, "rebound", buf, sizeof(buf)), "9");
	CHECK_STR(state_field(line, "empty", buf, sizeof(buf)), "");
	/* reason= runs to the end of the line, spaces and all */
	CHECK_STR(state_field(line, "reason", buf, sizeof(buf)), "a b  c");
	CHECK(state_field(line, "result", buf, sizeof(buf)) == NULL);
	/* the first word of a line is no field: each key follows a space */
	CHECK(state_field("addr=0000:01:00.0", "addr", buf, sizeof(buf)) == NULL);
	CHECK_STR(state_field(line, "addr", small, sizeof(small)), "000");
}

TEST(unwritable_state_dir_is_logged)
{
	struct run_summary s = { .mode = "boot", .iommu = 1 };
	char dir[300];
	int fd = scratch(dir, sizeof(dir));

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	/* run/vfio-early is a file: nothing can be written below it */
	CHECK_INT(unlinkat(fd, STATE_DIR, AT_REMOVEDIR), 0);
	CHECK_INT(close(openat(fd, STATE_DIR, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)), 0);
	unit_log_clear();
	CHECK_INT(state_write(fd, &s, NULL, NULL), -ENOTDIR);
	CHECK_LOG("cannot write /" STATE_FILE ": ");
	scratch_free(dir, fd);
}
