/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_INITRAMFS_H
#define VFIO_EARLY_INITRAMFS_H

/*
 * List an initramfs with the tool of its generator (lsinitramfs, lsinitrd),
 * run directly (no shell), bounded in time and output.  Returns the listing
 * (free it) or NULL.
 */
char *list_image(const char *tool, const char *image);

#endif
