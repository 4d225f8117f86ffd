/*
 * coro/switch_x86_64.S - context switch for the System V x86-64 ABI.
 *
 * void kiln_coro_switch(void **save_sp, void *load_sp)
 *   pushes the callee-saved registers, stores the stack pointer in *save_sp,
 *   loads load_sp, pops that context's registers and returns into it.
 * kiln_coro_trampoline: first "return address" of a new stack; calls r12(r13).
 */
#if defined(__x86_64__)
    .text
    .globl kiln_coro_switch
    .type kiln_coro_switch, @function
kiln_coro_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size kiln_coro_switch, .-kiln_coro_switch

    .globl kiln_coro_trampoline
    .type kiln_coro_trampoline, @function
kiln_coro_trampoline:
    movq %r13, %rdi
    callq *%r12
    ud2
    .size kiln_coro_trampoline, .-kiln_coro_trampoline
#endif
    .section .note.GNU-stack,"",@progbits
