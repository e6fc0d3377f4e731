// SPDX-License-Identifier: GPL-2.0-or-later
/* The record of manual runs (run/vfio-early/manual): its words, its round trip, its bound. */
#include "unit.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manual.h"

/* A fresh root directory with an empty run/, as a booted host has; -1 on failure. */
static int temp_root(char *dir, size_t size)
{
	int fd;

	snprintf(dir, size, "/tmp/vfio-early-manual.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && mkdirat(fd, "run", 0755) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void remove_root(int rootfd, const char *dir)
{
	unlinkat(rootfd, MANUAL_FILE, 0);
	unlinkat(rootfd, STATE_DIR, AT_REMOVEDIR);
	unlinkat(rootfd, "run", AT_REMOVEDIR);
	close(rootfd);
	rmdir(dir);
}

/* Three devices as a run on a live host leaves them. */
struct three {
	struct pci_dev d[3];
	struct plan_item it[3];
	struct plan pl;
};

static void three_devices(struct three *x)
{
	memset(x, 0, sizeof(*x));
	snprintf(x->d[0].name, sizeof(x->d[0].name), "0000:02:00.0");
	snprintf(x->d[0].driver, sizeof(x->d[0].driver), "vfio-pci");
	snprintf(x->d[1].name, sizeof(x->d[1].name), "0000:02:00.1");
	snprintf(x->d[2].name, sizeof(x->d[2].name), "0000:04:00.0");
	snprintf(x->d[2].driver, sizeof(x->d[2].driver), "nvme");
	x->it[0] = (struct plan_item){ .dev = &x->d[0], .result = RES_BOUND, .was = "bochs-drm" };
	x->it[1] = (struct plan_item){ .dev = &x->d[1], .result = RES_FAILED, .was = "snd_hda_intel",
				       .reason = "vfio-pci did not take it;\nthe device was given back" };
	x->it[2] = (struct plan_item){ .dev = &x->d[2], .result = RES_REFUSED, .was = "nvme",
				       .reason = "is in use: nvme0n1p2 is mounted at /home" };
	x->pl = (struct plan){ .v = x->it, .n = 3, .refused = 1 };
}

TEST(describe_says_what_became_of_each_device)
{
	char buf[512];

	manual_describe("bound", "bochs-drm", "vfio-pci", "", buf, sizeof(buf));
	CHECK_STR(buf, "was bochs-drm, now vfio-pci");
	manual_describe("bound", "none", "vfio-pci", "", buf, sizeof(buf));
	CHECK_STR(buf, "was no driver, now vfio-pci");
	manual_describe("override-set", "", "vfio-pci", "", buf, sizeof(buf));
	CHECK_STR(buf, "was no driver, driver_override now vfio-pci (test root, not probed)");
	/* A vfio-pci variant is named where it took the device. */
	manual_describe("bound", "mlx5_core", "mlx5_vfio_pci", "", buf, sizeof(buf));
	CHECK_STR(buf, "was mlx5_core, now mlx5_vfio_pci");
	manual_describe("already", "vfio-pci", "vfio-pci", "", buf, sizeof(buf));
	CHECK_STR(buf, "unchanged, already on vfio-pci");
	manual_describe("failed", "snd_hda_intel", "none", "vfio-pci did not take it", buf,
			sizeof(buf));
	CHECK_STR(buf, "FAILED (was snd_hda_intel, now no driver): vfio-pci did not take it");
	manual_describe("refused", "nvme", "nvme", "is in use", buf, sizeof(buf));
	CHECK_STR(buf, "unchanged (nvme), refused: is in use");
}

TEST(runs_are_appended_and_read_back)
{
	struct manual_runs m;
	struct three x;
	char dir[64];
	int rootfd = temp_root(dir, sizeof(dir));

	if (rootfd < 0)
		return (void)(unit_failed = 1);
	three_devices(&x);
	CHECK_INT(manual_read(rootfd, &m), -ENOENT);
	CHECK(!m.present);
	CHECK_INT(manual_write(rootfd, "yes", 12, &x.pl), 0);
	CHECK_INT(manual_write(rootfd, "terminal", 4, &x.pl), 0);
	CHECK_INT(manual_read(rootfd, &m), 0);
	CHECK(m.present);
	CHECK_INT(m.dropped, 0);
	CHECK_INT(m.nrun, 2);
	if (m.nrun == 2) {
		const struct manual_run *a = &m.run[0], *b = &m.run[1];

		CHECK_STR(a->confirmed, "yes");
		CHECK_INT(a->exit_status, 12);
		CHECK_STR(b->confirmed, "terminal");
		CHECK_INT(b->exit_status, 4);
		CHECK_INT(a->changed, 1);
		CHECK_INT(a->failed, 1);
		CHECK_INT(a->refused, 1);
		/* 2026-12-07T01:23:45Z */
		CHECK_INT(strlen(a->time), 20);
		CHECK(a->time[4] == '-' && a->time[10] == 'T' && a->time[19] == 'Z');
		CHECK_INT(a->ndev, 3);
		if (a->ndev == 3) {
			CHECK_STR(a->dev[0].addr, "0000:02:00.0");
			CHECK_STR(a->dev[0].result, "bound");
			CHECK_STR(a->dev[0].was, "bochs-drm");
			CHECK_STR(a->dev[0].now, "vfio-pci");
			CHECK_STR(a->dev[0].reason, "");
			CHECK_STR(a->dev[1].now, "none");
			/* A line break in a reason must not end the record. */
			CHECK_STR(a->dev[1].reason,
				  "vfio-pci did not take it; the device was given back");
			CHECK_STR(a->dev[2].result, "refused");
			CHECK_STR(a->dev[2].reason, "is in use: nvme0n1p2 is mounted at /home");
		}
	}
	manual_read_free(&m);
	remove_root(rootfd, dir);
}

TEST(the_record_stays_below_its_bound_dropping_the_oldest_runs)
{
	struct manual_runs m;
	struct three x;
	struct stat st;
	char dir[64];
	int rootfd = temp_root(dir, sizeof(dir)), runs = 600;

	if (rootfd < 0)
		return (void)(unit_failed = 1);
	three_devices(&x);
	/* The exit status numbers the runs. */
	for (int i = 0; i < runs; i++) {
		if (manual_write(rootfd, "yes", i, &x.pl) != 0) {
			CHECK(!"manual_write failed");
			break;
		}
	}
	CHECK_INT(fstatat(rootfd, MANUAL_FILE, &st, 0), 0);
	CHECK(st.st_size <= MANUAL_MAX);
	CHECK(st.st_size > MANUAL_MAX / 2);
	CHECK_INT(manual_read(rootfd, &m), 0);
	CHECK(m.dropped > 0);
	CHECK_INT(m.dropped + m.nrun, runs);
	if (m.nrun > 0) {
		CHECK_INT(m.run[0].exit_status, m.dropped);
		CHECK_INT(m.run[m.nrun - 1].exit_status, runs - 1);
		CHECK_INT(m.run[m.nrun - 1].ndev, 3);
	}
	manual_read_free(&m);
	remove_root(rootfd, dir);
}

TEST(a_run_keeps_its_first_devices_and_counts_the_rest)
{
	struct pci_dev d[MANUAL_RUN_DEVICES + 36];
	struct plan_item it[MANUAL_RUN_DEVICES + 36];
	struct plan pl = { .v = it, .n = MANUAL_RUN_DEVICES + 36 };
	struct manual_runs m;
	char dir[64];
	int rootfd = temp_root(dir, sizeof(dir));

	if (rootfd < 0)
		return (void)(unit_failed = 1);
	memset(d, 0, sizeof(d));
	memset(it, 0, sizeof(it));
	for (size_t i = 0; i < pl.n; i++) {
		snprintf(d[i].name, sizeof(d[i].name), "0000:%02x:00.0", (unsigned char)(i + 1));
		it[i] = (struct plan_item){ .dev = &d[i], .result = RES_OVERRIDE_SET };
	}
	CHECK_INT(manual_write(rootfd, "yes", 0, &pl), 0);
	CHECK_INT(manual_read(rootfd, &m), 0);
	CHECK_INT(m.nrun, 1);
	if (m.nrun == 1) {
		CHECK_INT(m.run[0].changed, MANUAL_RUN_DEVICES + 36);
		CHECK_INT(m.run[0].ndev, MANUAL_RUN_DEVICES);
		CHECK_INT(m.run[0].more, 36);
		CHECK_STR(m.run[0].dev[0].was, "none");
	}
	manual_read_free(&m);
	remove_root(rootfd, dir);
}

TEST(a_foreign_or_cut_record_is_no_record_or_loses_its_cut_line)
{
	static const char cut[] = "vfio-early-manual 1\n"
				  "run time=t1 confirmed=yes exit=0 changed=1 failed=0 refused=0\n"
				  "device addr=0000:02:00.0 result=bound was=x now=vfio-pci reason=\n"
				  "run time=t2 confirmed=ye";
	struct manual_runs m;
	struct three x;
	char dir[64];
	int rootfd = temp_root(dir, sizeof(dir)), fd;

	if (rootfd < 0)
		return (void)(unit_failed = 1);
	CHECK_INT(mkdirat(rootfd, STATE_DIR, 0755), 0);
	fd = openat(rootfd, MANUAL_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK(write(fd, "something else\n", 15) == 15);
	close(fd);
	CHECK_INT(manual_read(rootfd, &m), -ENOENT);
	/* A run after a foreign file starts the record afresh. */
	three_devices(&x);
	CHECK_INT(manual_write(rootfd, "yes", 0, &x.pl), 0);
	CHECK_INT(manual_read(rootfd, &m), 0);
	CHECK_INT(m.nrun, 1);
	manual_read_free(&m);
	/* A cut last line (a full disk) is left out when the next run is added. */
	fd = openat(rootfd, MANUAL_FILE, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	CHECK(write(fd, cut, sizeof(cut) - 1) == (ssize_t)sizeof(cut) - 1);
	close(fd);
	CHECK_INT(manual_write(rootfd, "terminal", 8, &x.pl), 0);
	CHECK_INT(manual_read(rootfd, &m), 0);
	CHECK_INT(m.nrun, 2);
	if (m.nrun == 2) {
		CHECK_STR(m.run[0].time, "t1");
		CHECK_STR(m.run[1].confirmed, "terminal");
		CHECK_INT(m.run[1].exit_status, 8);
	}
	manual_read_free(&m);
	remove_root(rootfd, dir);
}
