/* Benchmark harness: instructions per model_infer() call under qemu -icount shift=0,
   stack high-water mark of one call, and the outputs' bits for comparison with Keras.

   Cost: the CMSDK timer0 counts down at the 25 MHz system clock; with -icount shift=0 QEMU
   runs one instruction per virtual nanosecond, so one tick is 40 instructions. The model is
   called ROUNDS x N_INPUTS times and an empty function of the same signature is called the
   same way; the difference divided by the call count is the model's cost.

   The int8 peers define INT8_IO in dims.h: their inputs and outputs are int8 (the network's
   quantized tensors) and each output prints as its byte. */
#include <stdint.h>
#include "inputs.h" /* generated: N_INPUTS, N_IN, N_OUT, INPUTS[N_INPUTS][N_IN] */

#ifdef INT8_IO
typedef int8_t in_t;
typedef int8_t out_t;
static uint32_t bits_of(out_t v) { return (uint8_t)v; }
#else
typedef float in_t;
typedef float out_t;
static uint32_t bits_of(out_t v)
{
    union { float f; uint32_t u; } bits = {v};
    return bits.u;
}
#endif

#ifndef ROUNDS
#define ROUNDS 500 /* -DROUNDS=0 builds the instruction-trace variant */
#endif

void model_infer(const in_t *in, out_t *out);
void semihost_exit(int code);

typedef void (*infer_fn)(const in_t *, out_t *);

/* CMSDK APB timer 0 (ARM DDI 0479C, section 4.4). */
#define TIMER0_CTRL (*(volatile uint32_t *)0x40000000u)
#define TIMER0_VALUE (*(volatile uint32_t *)0x40000004u)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x40000008u)

extern uint32_t __stack_bottom;
static out_t out[N_OUT];

static int semihost(int op, const void *arg)
{
    register int r0 __asm("r0") = op;
    register const void *r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void semihost_exit(int code)
{
    /* SYS_EXIT_EXTENDED: ADP_Stopped_ApplicationExit with the exit code. */
    const uint32_t block[2] = {0x20026u, (uint32_t)code};
    semihost(0x20, block);
    for (;;) {
    }
}

static void put(const char *s) { semihost(0x04, s); }

static void put_hex(uint32_t v)
{
    char buf[11] = "0x";
    for (int i = 0; i < 8; i++) buf[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 0xF];
    buf[10] = 0;
    put(buf);
}

static void put_dec(uint32_t v)
{
    char buf[12];
    int i = 11;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(&buf[i]);
}

__attribute__((noinline)) void empty_infer(const in_t *in, out_t *o)
{
    (void)in;
    (void)o;
    __asm volatile("" ::: "memory");
}

__attribute__((noinline)) static uint32_t ticks(infer_fn f)
{
    TIMER0_CTRL = 0;
    TIMER0_RELOAD = 0xFFFFFFFFu;
    TIMER0_VALUE = 0xFFFFFFFFu;
    TIMER0_CTRL = 1;
    uint32_t start = TIMER0_VALUE;
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < N_INPUTS; i++) f(INPUTS[i], out);
    uint32_t end = TIMER0_VALUE;
    TIMER0_CTRL = 0;
    return start - end;
}

/* Paints the free stack below this frame, runs one inference, and returns how many bytes
   below the caller's stack pointer the call touched. Volatile stores keep GCC from turning
   the paint loop into a memset call, which would itself use the painted stack. */
__attribute__((noinline)) static uint32_t stack_use(infer_fn f)
{
    uint32_t sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    volatile uint32_t *p = &__stack_bottom;
    while ((uint32_t)p < sp) *p++ = 0xA5A5A5A5u;
    f(INPUTS[0], out);
    p = &__stack_bottom;
    while ((uint32_t)p < sp && *p == 0xA5A5A5A5u) p++;
    return sp - (uint32_t)p;
}

static volatile infer_fn model_fn = model_infer;
static volatile infer_fn empty_fn = empty_infer;

int main(void)
{
    put("stack_bytes ");
    put_dec(stack_use(model_fn));
    put("\n");
    for (int i = 0; i < N_INPUTS; i++) {
        model_fn(INPUTS[i], out);
        put("out ");
        put_dec((uint32_t)i);
        for (int j = 0; j < N_OUT; j++) {
            put(" ");
            put_hex(bits_of(out[j]));
        }
        put("\n");
    }
    uint32_t t_model = ticks(model_fn);
    uint32_t t_empty = ticks(empty_fn);
    put("calls ");
    put_dec((uint32_t)ROUNDS * N_INPUTS);
    put("\nticks_model ");
    put_dec(t_model);
    put("\nticks_empty ");
    put_dec(t_empty);
    put("\n");
    return 0;
}
