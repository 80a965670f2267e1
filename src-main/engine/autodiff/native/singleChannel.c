/*
 * 3x3 stride-1 'same' convolutions of a single-channel image (conv4's and the generator's first
 * layer on grey images): forward and filter gradient.
 *
 * With one input channel a convolution is 9 multiply-adds per output, too little work per
 * loaded value for a GEMM formulation: XNNPACK's forward ran at about 6 GFLOP/s on conv4's
 * 75x28x28x1 -> 64, and the general filter gradient (one pass per tap) at about 7. Here each
 * output position's 9 input values are read once, splatted, and applied to every output channel
 * 4 at a time, with the 9 taps' filter vectors (or, for the filter gradient, the 9 taps'
 * accumulators, which stay in the L1 cache) indexed by output channel.
 *
 * As in the other kernels: no arrays on the stack (the module has none; tfjs's heap is its
 * memory), and nothing written outside the output.
 */
#include <wasm_simd128.h>

/* x at column c of an image row (NULL: a padding row), 0 in the padding. */
static inline float at(const float* row, int c, int w) {
  return row && c >= 0 && c < w ? row[c] : 0.0f;
}

/* Image b's rows i-1, i, i+1 as r0, r1, r2 (NULL: a padding row). */
#define ROWS_AROUND(x, b, i)                                                              \
  const float* r1 = (x) + ((b) * h + (i)) * w;                                            \
  const float* r0 = (i) > 0 ? r1 - w : 0;                                                 \
  const float* r2 = (i) + 1 < h ? r1 + w : 0

/* The 3x3 patch around column j of those rows, splatted, as x0..x8 (row-major taps). */
#define PATCH(j)                                                                          \
  const v128_t x0 = wasm_f32x4_splat(at(r0, (j) - 1, w)), x1 = wasm_f32x4_splat(at(r0, j, w)); \
  const v128_t x2 = wasm_f32x4_splat(at(r0, (j) + 1, w));                                 \
  const v128_t x3 = wasm_f32x4_splat(at(r1, (j) - 1, w)), x4 = wasm_f32x4_splat(r1[j]);   \
  const v128_t x5 = wasm_f32x4_splat(at(r1, (j) + 1, w));                                 \
  const v128_t x6 = wasm_f32x4_splat(at(r2, (j) - 1, w)), x7 = wasm_f32x4_splat(at(r2, j, w)); \
  const v128_t x8 = wasm_f32x4_splat(at(r2, (j) + 1, w))

#define MAC(acc, v, p) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(v, wasm_v128_load(p)))

/*
 * y[n][h][w][co] = the convolution of x[n][h][w] (one channel) with f[3][3][1][co], padded by one
 * on every side. co a multiple of 4.
 */
__attribute__((export_name("conv3x3_single_channel"))) void conv3x3_single_channel(
    const float* x, const float* f, float* y, int n, int h, int w, int co) {
  for (int b = 0; b < n; b++) {
    for (int i = 0; i < h; i++) {
      ROWS_AROUND(x, b, i);
      for (int j = 0; j < w; j++) {
        PATCH(j);
        float* out = y + ((b * h + i) * w + j) * co;
        for (int o = 0; o < co; o += 4) {
          const float* t = f + o;
          v128_t acc = wasm_f32x4_mul(x0, wasm_v128_load(t));
          MAC(acc, x1, t + co);
          MAC(acc, x2, t + 2 * co);
          MAC(acc, x3, t + 3 * co);
          MAC(acc, x4, t + 4 * co);
          MAC(acc, x5, t + 5 * co);
          MAC(acc, x6, t + 6 * co);
          MAC(acc, x7, t + 7 * co);
          MAC(acc, x8, t + 8 * co);
          wasm_v128_store(out + o, acc);
        }
      }
    }
  }
}

/* acc[k*co + o..o+3] += xk * g for the 9 taps k. */
#define ACC(k, v)                                                                   \
  do {                                                                              \
    float* a = dw + (k) * co + o;                                                   \
    wasm_v128_store(a, wasm_f32x4_add(wasm_v128_load(a), wasm_f32x4_mul(v, g)));    \
  } while (0)

/*
 * dw[3][3][1][co] = sum over n, y, x of x[n][y+a-1][x+b-1] * dy[n][y][x][o]: the filter gradient
 * of conv3x3_single_channel. co a multiple of 4.
 */
__attribute__((export_name("conv3x3_single_channel_filter_grad"))) void conv3x3_single_channel_filter_grad(
    const float* x, const float* dy, float* dw, int n, int h, int w, int co) {
  for (int k = 0; k < 9 * co; k++) dw[k] = 0.0f;
  for (int b = 0; b < n; b++) {
    for (int i = 0; i < h; i++) {
      ROWS_AROUND(x, b, i);
      for (int j = 0; j < w; j++) {
        PATCH(j);
        const float* d = dy + ((b * h + i) * w + j) * co;
        /* The accumulators live in dw (9*co floats, in L1), not in registers: 9 taps times co/4
         * vectors would not fit. */
        for (int o = 0; o < co; o += 4) {
          const v128_t g = wasm_v128_load(d + o);
          ACC(0, x0);
          ACC(1, x1);
          ACC(2, x2);
          ACC(3, x3);
          ACC(4, x4);
          ACC(5, x5);
          ACC(6, x6);
          ACC(7, x7);
          ACC(8, x8);
        }
      }
    }
  }
}
