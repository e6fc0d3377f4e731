/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_INITRAMFS_H
#define VFIO_EARLY_INITRAMFS_H

/*
 * List an initramfs with the tool of its generator (lsinitramfs, lsinitrd),
 * run directly (no shell), bounded in time and output.  Returns the listing
 * (free it) or NULL.
 */
char *list_image(const char *tool, const char *image);

/*
 * The names in an uncompressed newc cpio archive at @path (relative to
 * @dirfd), one a line, up to its trailer: mkinitcpio's plain images, which
 * lsinitramfs does not list.  NULL when it is not one (or is cut short).
 */
char *list_cpio(int dirfd, const char *path);

/*
 * A newc cpio archive of empty files named by the lines of @list (what
 * list_image() gave), as --capture stands it in for an image: list_cpio()
 * and the listing tools read the same names from it.  NULL when out of
 * memory; *@len its size.
 */
char *cpio_of_names(const char *list, size_t *len);

#endif
