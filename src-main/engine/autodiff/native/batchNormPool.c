/*
 * conv4's block after its convolution, batch norm -> ReLU -> 2x2 max-pool (stride 2, unpadded),
 * as one kernel forward and one backward for the wasm backend (in place on tfjs-backend-wasm's
 * heap like batchNorm.c, whose statistics and per-channel scales these share). Apart, the three
 * write the full-size activation and read it back to pool it; backward, the pooling writes a
 * full-size gradient that batch norm's two passes read back, each recomputing the ReLU's mask.
 * Here the activation is recomputed from x where it is needed (a multiply-add per element) and
 * never stored, and backward the first pass routes the pooled gradient into dx's memory (masked
 * once) while it sums, the second turns that into dx in place: on conv4's layers the pair took
 * 15-17 ms per first-order MAML task against 22-26 apart (under the profiler, alternating). x is
 * [n, h, w, c], c a multiple of 4; the pooled output [n, oh, ow, c] with oh = h / 2, ow = w / 2
 * (rounded down).
 *
 * The pooling's rules are max_pool_2x2_grad's (maxPoolGrad.c): a window's gradient goes to the
 * first of its maxima in row-major order, a NaN never wins, and a window of NaNs passes none; rows
 * and columns that no window covers (odd sizes) get none from the pooling but still count in
 * the batch statistics, as they do apart.
 */
#include <wasm_simd128.h>

#include "batchNormShared.h"
#include "maxPoolWindow.h"

/* relu(pre-activation) of x at one position, four channels. */
static inline v128_t activation(const float* x, const float* mean, const float* scale,
                                const float* beta, int ch) {
  return wasm_f32x4_max(pre_activation(wasm_v128_load(x + ch), mean, scale, beta, ch),
                        wasm_f32x4_splat(0.0f));
}

/*
 * y = maxpool(relu(gamma * (x - mean) * rstd + beta)), with mean and rstd written as
 * batch_norm_forward writes them. scratch: c floats.
 */
__attribute__((export_name("batch_norm_pool_forward"))) void batch_norm_pool_forward(
    const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd,
    float* scratch, int n, int h, int w, int c, float eps) {
  const int oh = h / 2, ow = w / 2, row = w * c;
  batch_norm_statistics(x, mean, rstd, scratch, n * h * w, c, eps);
  float* const scale = scratch;
  scales(gamma, rstd, scale, c);
  for (int b = 0; b < n; b++) {
    for (int oy = 0; oy < oh; oy++) {
      for (int ox = 0; ox < ow; ox++) {
        const float* p00 = x + (b * h + 2 * oy) * row + 2 * ox * c;
        float* yp = y + ((b * oh + oy) * ow + ox) * c;
        for (int ch = 0; ch < c; ch += 4) {
          /* max propagates a NaN, so a run whose statistics went NaN shows it in its loss. */
          const v128_t top = wasm_f32x4_max(activation(p00, mean, scale, beta, ch),
                                            activation(p00 + c, mean, scale, beta, ch));
          const v128_t bottom = wasm_f32x4_max(activation(p00 + row, mean, scale, beta, ch),
                                               activation(p00 + row + c, mean, scale, beta, ch));
          wasm_v128_store(yp + ch, wasm_f32x4_max(top, bottom));
        }
      }
    }
  }
}

/*
 * The four positions' masked gradients g_k of one window, four channels: the pooled gradient at
 * the winner (maxPoolWindow.h's rule on the activations), times the ReLU's mask there.
 */
#define WINDOW_GRADIENTS(p00, row, gp, ch)                                                       \
  v128_t g00, g01, g10, g11;                                                                     \
  {                                                                                              \
    const v128_t zero = wasm_f32x4_splat(0.0f);                                                  \
    const v128_t z00 = pre_activation(wasm_v128_load((p00) + (ch)), mean, scale, beta, (ch));    \
    const v128_t z01 = pre_activation(wasm_v128_load((p00) + c + (ch)), mean, scale, beta, (ch)); \
    const v128_t z10 = pre_activation(wasm_v128_load((p00) + (row) + (ch)), mean, scale, beta, (ch)); \
    const v128_t z11 =                                                                           \
        pre_activation(wasm_v128_load((p00) + (row) + c + (ch)), mean, scale, beta, (ch));       \
    const v128_t r00 = wasm_f32x4_max(z00, zero), r01 = wasm_f32x4_max(z01, zero);             \
    const v128_t r10 = wasm_f32x4_max(z10, zero), r11 = wasm_f32x4_max(z11, zero);             \
    WINDOW_WINNERS(r00, r01, r10, r11)                                                           \
    /* A window of NaNs passes no gradient; the ReLU passes none where z <= 0. */                \
    const v128_t gv = wasm_v128_and(wasm_v128_load((gp) + (ch)), wasm_f32x4_eq(best, best));     \
    g00 = wasm_v128_and(gv, wasm_v128_and(m00, wasm_f32x4_gt(z00, zero)));                       \
    g01 = wasm_v128_and(gv, wasm_v128_and(m01, wasm_f32x4_gt(z01, zero)));                       \
    g10 = wasm_v128_and(gv, wasm_v128_and(m10, wasm_f32x4_gt(z10, zero)));                       \
    g11 = wasm_v128_and(gv, wasm_v128_and(m11, wasm_f32x4_gt(z11, zero)));                       \
  }

/*
 * The gradients of batch_norm_pool_forward from dy [n, oh, ow, c], the pooled output's gradient,
 * given the forward pass's mean and rstd: batch_norm_backward's formulas with g the pooled
 * gradient routed to each window's winner and masked by the ReLU, zero elsewhere. The first pass
 * routes g into dx (the activation recomputed once, where apart both batch norm's passes
 * recompute its mask and the pooling reads it back) and sums g and g * (x - mean); the second turns
 * dx's g into dx in place. scratch: 3c floats.
 */
__attribute__((export_name("batch_norm_pool_backward"))) void batch_norm_pool_backward(
    const float* x, const float* dy, const float* gamma, const float* beta, const float* mean,
    const float* rstd, float* dx, float* dgamma, float* dbeta, float* scratch, int n, int h, int w,
    int c) {
  const int oh = h / 2, ow = w / 2, row = w * c, rows = n * h * w;
  float* const scale = scratch;
  float* const part_g = scratch + c;
  float* const part_gd = scratch + 2 * c;
  scales(gamma, rstd, scale, c);
  fill_zero(dbeta, c);
  fill_zero(dgamma, c);
  /* Rows and columns that no window covers (odd sizes): g = 0. */
  if (2 * oh != h || 2 * ow != w) {
    for (int b = 0; b < n; b++)
      for (int y = 0; y < h; y++)
        for (int xx = (y < 2 * oh ? 2 * ow : 0); xx < w; xx++) fill_zero(dx + (b * h + y) * row + xx * c, c);
  }
  /* Block sums over a row of windows (batchNorm.c's blocks of rows, here 2 * ow positions) at a
     time; dgamma sums g * (x - mean) and takes its rstd once at the end. */
  for (int b = 0; b < n; b++) {
    for (int oy = 0; oy < oh; oy++) {
      fill_zero(part_g, 2 * c);
      for (int ox = 0; ox < ow; ox++) {
        const int at = (b * h + 2 * oy) * row + 2 * ox * c;
        const float* p00 = x + at;
        const float* gp = dy + ((b * oh + oy) * ow + ox) * c;
        for (int ch = 0; ch < c; ch += 4) {
          WINDOW_GRADIENTS(p00, row, gp, ch)
          wasm_v128_store(dx + at + ch, g00);
          wasm_v128_store(dx + at + c + ch, g01);
          wasm_v128_store(dx + at + row + ch, g10);
          wasm_v128_store(dx + at + row + c + ch, g11);
          ADD_TO(part_g + ch, wasm_f32x4_add(wasm_f32x4_add(g00, g01), wasm_f32x4_add(g10, g11)));
          const v128_t m = wasm_v128_load(mean + ch);
          const v128_t gd = wasm_f32x4_add(
              wasm_f32x4_add(wasm_f32x4_mul(g00, wasm_f32x4_sub(wasm_v128_load(p00 + ch), m)),
                             wasm_f32x4_mul(g01, wasm_f32x4_sub(wasm_v128_load(p00 + c + ch), m))),
              wasm_f32x4_add(wasm_f32x4_mul(g10, wasm_f32x4_sub(wasm_v128_load(p00 + row + ch), m)),
                             wasm_f32x4_mul(g11, wasm_f32x4_sub(wasm_v128_load(p00 + row + c + ch), m))));
          ADD_TO(part_gd + ch, gd);
        }
      }
      for (int ch = 0; ch < c; ch += 4) {
        ADD_TO(dbeta + ch, wasm_v128_load(part_g + ch));
        ADD_TO(dgamma + ch, wasm_v128_load(part_gd + ch));
      }
    }
  }
  for (int ch = 0; ch < c; ch += 4)
    wasm_v128_store(dgamma + ch, wasm_f32x4_mul(wasm_v128_load(dgamma + ch), wasm_v128_load(rstd + ch)));
  float* const k1 = part_g;
  float* const k2 = part_gd;
  dx_coefficients(scale, rstd, dgamma, dbeta, k1, k2, rows, c);
  for (int r = 0; r < rows; r++) {
    const float* xr = x + r * c;
    float* dxr = dx + r * c;
    for (int ch = 0; ch < c; ch += 4) {
      const v128_t d = wasm_f32x4_sub(wasm_v128_load(xr + ch), wasm_v128_load(mean + ch));
      const v128_t g = wasm_v128_load(dxr + ch);
      wasm_v128_store(dxr + ch, wasm_f32x4_sub(wasm_f32x4_sub(wasm_f32x4_mul(wasm_v128_load(scale + ch), g),
                                                              wasm_v128_load(k1 + ch)),
                                               wasm_f32x4_mul(wasm_v128_load(k2 + ch), d)));
    }
  }
}
