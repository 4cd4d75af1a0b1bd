/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xevt-guest: entry point and the ELF notes Xen's domain builder reads.
 * At entry rsi points to start_info and event upcalls are masked.
 */
#define NOTE(type, desc_asm)				\
	.balign 4;					\
	.long 4, 2f - 1f, type;				\
	.asciz "Xen";					\
1:	desc_asm;					\
2:	.balign 4

	.section .note.Xen, "a"
	NOTE(6, .asciz "xevt-guest")		/* XEN_ELFNOTE_GUEST_OS */
	NOTE(5, .asciz "xen-3.0")		/* XEN_ELFNOTE_XEN_VERSION */
	NOTE(8, .asciz "generic")		/* XEN_ELFNOTE_LOADER */
	NOTE(3, .quad 0)			/* XEN_ELFNOTE_VIRT_BASE */
	NOTE(4, .quad 0)			/* XEN_ELFNOTE_PADDR_OFFSET */
	NOTE(1, .quad _start)			/* XEN_ELFNOTE_ENTRY */

	.text
	.globl _start
_start:
	leaq	stack_top(%rip), %rsp
	movq	%rsi, %rdi
	call	xg_main
1:	hlt			/* not reached; privileged: Xen crashes us */
	jmp	1b

	.bss
	.balign 4096
	.space 16384
stack_top:

	.section .note.GNU-stack, "", @progbits
