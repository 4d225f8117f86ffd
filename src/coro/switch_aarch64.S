/*
 * coro/switch_aarch64.S - context switch for the AAPCS64 ABI.
 *
 * void kiln_coro_switch(void **save_sp, void *load_sp)
 *   saves x19-x30 and d8-d15 on the stack, stores sp in *save_sp, loads
 *   load_sp and restores that context, returning through its x30.
 * kiln_coro_trampoline: first x30 of a new stack; calls x19(x20).
 */
#if defined(__aarch64__)
    .text
    .globl kiln_coro_switch
    .type kiln_coro_switch, %function
kiln_coro_switch:
    sub sp, sp, #160
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mov x2, sp
    str x2, [x0]
    mov sp, x1
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #160
    ret
    .size kiln_coro_switch, .-kiln_coro_switch

    .globl kiln_coro_trampoline
    .type kiln_coro_trampoline, %function
kiln_coro_trampoline:
    mov x0, x20
    blr x19
    brk #0
    .size kiln_coro_trampoline, .-kiln_coro_trampoline
#endif
    .section .note.GNU-stack,"",%progbits
