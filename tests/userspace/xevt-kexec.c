// SPDX-License-Identifier: GPL-2.0
/*
 * xevt-kexec: load a kernel with kexec_file_load(2) and start it.  The
 * guest side of the soft reset test (initramfs/tests/xl-kexec.sh): busybox
 * has no kexec applet.
 *
 *   xevt-kexec -l KERNEL INITRD CMDLINE   load KERNEL (a bzImage)
 *   xevt-kexec -e                         start the loaded kernel
 *
 * Errors are printed with the call that failed and errno; the exit status
 * is 1 then.  A successful -e does not return.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *cmdline;
	int kfd, ifd;

	if (argc == 2 && !strcmp(argv[1], "-e")) {
		sync();
		reboot(LINUX_REBOOT_CMD_KEXEC);
		fprintf(stderr, "xevt-kexec: reboot(LINUX_REBOOT_CMD_KEXEC): %s\n",
			strerror(errno));
		return 1;
	}
	if (argc != 5 || strcmp(argv[1], "-l")) {
		fprintf(stderr, "usage: xevt-kexec -l KERNEL INITRD CMDLINE | -e\n");
		return 2;
	}
	kfd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (kfd < 0) {
		fprintf(stderr, "xevt-kexec: open %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	ifd = open(argv[3], O_RDONLY | O_CLOEXEC);
	if (ifd < 0) {
		fprintf(stderr, "xevt-kexec: open %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	cmdline = argv[4];
	if (syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmdline) + 1,
		    cmdline, 0UL)) {
		fprintf(stderr, "xevt-kexec: kexec_file_load: %s\n", strerror(errno));
		return 1;
	}
	printf("loaded %s with %s\n", argv[2], argv[3]);
	return 0;
}
