/* Minimal Cortex-M4F start-up for the benchmark harness: vector table, FPU on, .data/.bss
   set up, main, then a semihosting exit. A fault exits QEMU with a non-zero code. */
#include <stdint.h>

extern uint32_t __stack_top, __data_load, __data_start, __data_end, __bss_start, __bss_end;
extern int main(void);
void semihost_exit(int code);

void Reset_Handler(void)
{
    /* CPACR: full access to CP10 and CP11 (the FPU) before any float instruction runs. */
    *(volatile uint32_t *)0xE000ED88 |= (0xFu << 20);
    __asm volatile("dsb\n isb");
    const uint32_t *src = &__data_load;
    for (uint32_t *dst = &__data_start; dst < &__data_end;) *dst++ = *src++;
    for (uint32_t *dst = &__bss_start; dst < &__bss_end;) *dst++ = 0;
    semihost_exit(main());
}

void Fault_Handler(void)
{
    semihost_exit(99);
}

__attribute__((section(".vectors"), used))
const void *const vector_table[16] = {
    &__stack_top, Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, Fault_Handler, 0, 0, 0, 0, Fault_Handler, Fault_Handler, 0,
    Fault_Handler, Fault_Handler,
};
