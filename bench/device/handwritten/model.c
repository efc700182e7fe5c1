/* A plain, hand-written C forward pass for a dense relu/softmax network: the reference a
   C programmer would write without any tool. The weights and the sequence of layer calls are
   generated from the trained Keras model (weights.h, network.inc); the arithmetic is here.

   Order of operations follows TensorFlow on CPU so the outputs can be compared bit for bit:
   each unit sums x[i] * w[i][j] in input order starting from zero (GCC contracts this into
   fused multiply-adds by default), then adds the bias; the softmax subtracts the maximum,
   exponentiates, and multiplies by the reciprocal of the sum (Eigen's softmax). */
#include <math.h>
#include "weights.h" /* generated: W<k>[n_in * n_out] row-major as Keras stores it, B<k>, MAX_WIDTH */

static void dense(const float *x, int n_in, const float *w, const float *b, int n_out, float *y)
{
    for (int j = 0; j < n_out; j++) {
        float acc = 0.0f;
        for (int i = 0; i < n_in; i++) acc += x[i] * w[i * n_out + j];
        y[j] = acc + b[j];
    }
}

static void relu(float *y, int n)
{
    for (int i = 0; i < n; i++) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
}

static void softmax(float *y, int n)
{
    float max = y[0];
    for (int i = 1; i < n; i++) max = y[i] > max ? y[i] : max;
    float sum = 0.0f;
    for (int i = 0; i < n; i++) {
        y[i] = expf(y[i] - max);
        sum += y[i];
    }
    const float inv = 1.0f / sum;
    for (int i = 0; i < n; i++) y[i] *= inv;
}

void model_infer(const float *in, float *out)
{
    float a[MAX_WIDTH], b[MAX_WIDTH];
    (void)a;
    (void)b;
#include "network.inc" /* generated: dense()/relu()/softmax() calls, in -> a -> b -> ... -> out */
}
