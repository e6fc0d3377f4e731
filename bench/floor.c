// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * floor ROOT VVVV:DDDD...: the least work that selecting PCI devices by id
 * can take: list ROOT/sys/bus/pci/devices, open and read one attribute
 * (modalias) per device, compare the ids, print the matches.  No checks,
 * no safety, no logging: the physical limit vfio-early is measured against.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char path[4096], buf[128], want[16][24];
	int nwant = 0, dfd;
	struct dirent *e;
	DIR *dir;

	if (argc < 3)
		return 2;
	for (int i = 2; i < argc && nwant < 16; i++) {
		unsigned v, d;

		if (sscanf(argv[i], "%4x:%4x", &v, &d) != 2)
			return 2;
		/* modalias spells them pci:v000010DEd00002204... */
		snprintf(want[nwant++], sizeof(want[0]), "v0000%04Xd0000%04X", v, d);
	}
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices", argv[1]);
	dir = opendir(path);
	if (!dir)
		return 1;
	dfd = dirfd(dir);
	while ((e = readdir(dir))) {
		ssize_t n;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/modalias", e->d_name);
		fd = openat(dfd, path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n < 22)
			continue;
		buf[n] = '\0';
		for (int i = 0; i < nwant; i++)
			if (memcmp(buf + 4, want[i], 18) == 0)
				printf("%s\n", e->d_name);
	}
	closedir(dir);
	return 0;
}
