/*
 * What batchNorm.c and batchNormPool.c share: per-channel sums in blocks of rows, the batch
 * statistics, the per-channel scales and pre-activations, and the coefficients of dx. x is
 * [rows, c], c a multiple of 4. Static inline: each kernel file gets its own copy, and this
 * module has no C stack for calls to use.
 */
#ifndef DEML_BATCH_NORM_SHARED_H
#define DEML_BATCH_NORM_SHARED_H

#include <wasm_simd128.h>

#define BLOCK_ROWS 64

static inline void fill_zero(float* p, int count) {
  for (int k = 0; k < count; k += 4) wasm_v128_store(p + k, wasm_f32x4_splat(0.0f));
}

/* sums[ch] = sum over rows of (x[r, ch] - centre[ch]), squared when `square`; part: c floats. */
static inline void column_sums(const float* x, const float* centre, int square, float* sums, float* part,
                        int rows, int c) {
  fill_zero(sums, c);
  for (int r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
    const int r1 = r0 + BLOCK_ROWS < rows ? r0 + BLOCK_ROWS : rows;
    fill_zero(part, c);
    for (int r = r0; r < r1; r++) {
      const float* xr = x + r * c;
      for (int ch = 0; ch < c; ch += 4) {
        v128_t v = wasm_v128_load(xr + ch);
        if (centre) v = wasm_f32x4_sub(v, wasm_v128_load(centre + ch));
        if (square) v = wasm_f32x4_mul(v, v);
        wasm_v128_store(part + ch, wasm_f32x4_add(wasm_v128_load(part + ch), v));
      }
    }
    for (int ch = 0; ch < c; ch += 4)
      wasm_v128_store(sums + ch, wasm_f32x4_add(wasm_v128_load(sums + ch), wasm_v128_load(part + ch)));
  }
}

/* scale = gamma * rstd: y = (x - mean) * scale + beta. Centring first (rather than folding the
   mean into a shift, x * scale + (beta - mean * scale)) keeps y accurate when a channel's mean
   is large against its spread; the backward pass recomputes the ReLU's mask the same way. */
static inline void scales(const float* gamma, const float* rstd, float* scale, int c) {
  for (int ch = 0; ch < c; ch += 4)
    wasm_v128_store(scale + ch, wasm_f32x4_mul(wasm_v128_load(gamma + ch), wasm_v128_load(rstd + ch)));
}

static inline v128_t pre_activation(v128_t x, const float* mean, const float* scale, const float* beta, int ch) {
  return wasm_f32x4_add(
      wasm_f32x4_mul(wasm_f32x4_sub(x, wasm_v128_load(mean + ch)), wasm_v128_load(scale + ch)),
      wasm_v128_load(beta + ch));
}

/* dy masked by the ReLU where it has one: zero where the pre-activation is not > 0 (as tf.relu's
   gradient), recomputed from the same bits as the forward pass's. */
static inline v128_t relu_masked(v128_t dy, v128_t x, const float* mean, const float* scale,
                                 const float* beta, int ch, int relu) {
  if (!relu) return dy;
  return wasm_v128_and(dy, wasm_f32x4_gt(pre_activation(x, mean, scale, beta, ch), wasm_f32x4_splat(0.0f)));
}

/* xh = (x - mean) * rstd. */
static inline v128_t normalised(v128_t x, const float* mean, const float* rstd, int ch) {
  return wasm_f32x4_mul(wasm_f32x4_sub(x, wasm_v128_load(mean + ch)), wasm_v128_load(rstd + ch));
}

/*
 * mean and rstd = 1/sqrt(var + eps) per channel over the rows (the variance divides by rows: the
 * batch's own, biased), in two passes (mean, then squared deviations), as tf.moments does: no
 * cancellation. scratch: c floats.
 */
static inline void batch_norm_statistics(const float* x, float* mean, float* rstd, float* scratch,
                                         int rows, int c, float eps) {
  const v128_t inv_rows = wasm_f32x4_splat(1.0f / (float)rows);
  column_sums(x, 0, 0, mean, scratch, rows, c);
  for (int ch = 0; ch < c; ch += 4)
    wasm_v128_store(mean + ch, wasm_f32x4_mul(wasm_v128_load(mean + ch), inv_rows));
  column_sums(x, mean, 1, rstd, scratch, rows, c);
  const v128_t e = wasm_f32x4_splat(eps), one = wasm_f32x4_splat(1.0f);
  for (int ch = 0; ch < c; ch += 4) {
    const v128_t var = wasm_f32x4_mul(wasm_v128_load(rstd + ch), inv_rows);
    wasm_v128_store(rstd + ch, wasm_f32x4_div(one, wasm_f32x4_sqrt(wasm_f32x4_add(var, e))));
  }
}

/* dx = a * g - k1 - k2 * (x - mean), a = gamma * rstd (= scale), k1 = a * dbeta / rows,
   k2 = a * dgamma * rstd / rows: the backward pass's per-channel coefficients. */
static inline void dx_coefficients(const float* scale, const float* rstd, const float* dgamma,
                                   const float* dbeta, float* k1, float* k2, int rows, int c) {
  const v128_t inv_rows = wasm_f32x4_splat(1.0f / (float)rows);
  for (int ch = 0; ch < c; ch += 4) {
    const v128_t a_n = wasm_f32x4_mul(wasm_v128_load(scale + ch), inv_rows);
    wasm_v128_store(k1 + ch, wasm_f32x4_mul(a_n, wasm_v128_load(dbeta + ch)));
    wasm_v128_store(k2 + ch, wasm_f32x4_mul(wasm_f32x4_mul(a_n, wasm_v128_load(dgamma + ch)),
                                            wasm_v128_load(rstd + ch)));
  }
}

#define ADD_TO(p, v) wasm_v128_store((p), wasm_f32x4_add(wasm_v128_load(p), (v)))

#endif
