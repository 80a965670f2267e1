/*
 * Batch norm with the batch's own statistics, optionally followed by a ReLU, forward and
 * backward, for the wasm backend (in place on tfjs-backend-wasm's heap like the other kernels).
 * Composed from tfjs ops, the pair took about a third of a conv4 task: some twenty kernel calls,
 * each a full-size pass with its own output, where these make three passes forward and two
 * backward. x is [rows, c] (rows = n*h*w, NHWC), c a multiple of 4.
 *
 * Per-channel sums go through a block accumulator (a block of rows summed, then added to the
 * total), which keeps float32 rounding growth to about the block size plus rows/block rather
 * than rows; conv4's first layer sums 58,800 rows per channel.
 */
#include <wasm_simd128.h>

#define BLOCK_ROWS 64

static void fill_zero(float* p, int count) {
  for (int k = 0; k < count; k += 4) wasm_v128_store(p + k, wasm_f32x4_splat(0.0f));
}

/* sums[ch] = sum over rows of (x[r, ch] - centre[ch]), squared when `square`; part: c floats. */
static void column_sums(const float* x, const float* centre, int square, float* sums, float* part,
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
static void scales(const float* gamma, const float* rstd, float* scale, int c) {
  for (int ch = 0; ch < c; ch += 4)
    wasm_v128_store(scale + ch, wasm_f32x4_mul(wasm_v128_load(gamma + ch), wasm_v128_load(rstd + ch)));
}

static v128_t pre_activation(v128_t x, const float* mean, const float* scale, const float* beta, int ch) {
  return wasm_f32x4_add(
      wasm_f32x4_mul(wasm_f32x4_sub(x, wasm_v128_load(mean + ch)), wasm_v128_load(scale + ch)),
      wasm_v128_load(beta + ch));
}

/*
 * y = relu?(gamma * (x - mean) * rstd + beta), mean and rstd = 1/sqrt(var + eps) per channel
 * over the rows (the variance divides by rows: the batch's own, biased). Also writes mean and
 * rstd, for the backward pass. scratch: c floats (block sums, then the per-channel scales).
 */
__attribute__((export_name("batch_norm_forward"))) void batch_norm_forward(
    const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd,
    float* scratch, int rows, int c, int relu, float eps) {
  float* const scale = scratch;
  const v128_t inv_rows = wasm_f32x4_splat(1.0f / (float)rows);
  /* Two passes (mean, then squared deviations), as tf.moments does: no cancellation. */
  column_sums(x, 0, 0, mean, scratch, rows, c);
  for (int ch = 0; ch < c; ch += 4)
    wasm_v128_store(mean + ch, wasm_f32x4_mul(wasm_v128_load(mean + ch), inv_rows));
  column_sums(x, mean, 1, rstd, scratch, rows, c);
  const v128_t e = wasm_f32x4_splat(eps), one = wasm_f32x4_splat(1.0f);
  for (int ch = 0; ch < c; ch += 4) {
    const v128_t var = wasm_f32x4_mul(wasm_v128_load(rstd + ch), inv_rows);
    wasm_v128_store(rstd + ch, wasm_f32x4_div(one, wasm_f32x4_sqrt(wasm_f32x4_add(var, e))));
  }
  scales(gamma, rstd, scale, c);
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int r = 0; r < rows; r++) {
    const float* xr = x + r * c;
    float* yr = y + r * c;
    for (int ch = 0; ch < c; ch += 4) {
      v128_t v = pre_activation(wasm_v128_load(xr + ch), mean, scale, beta, ch);
      /* max propagates a NaN (as the cpu backend's relu does; XNNPACK's may give 0), so a run
         whose statistics went NaN still shows it in its loss. The backward pass's mask,
         pre > 0, is recomputed from the same bits. */
      if (relu) v = wasm_f32x4_max(v, zero);
      wasm_v128_store(yr + ch, v);
    }
  }
}

/*
 * The gradients of batch_norm_forward from dy, the output's gradient: with g = dy masked by the
 * ReLU (where the pre-activation is > 0, as tf.relu's gradient) and xh = (x - mean) * rstd,
 *   dbeta = sum g,  dgamma = sum g * xh,
 *   dx = gamma * rstd * (g - dbeta / rows - xh * dgamma / rows),
 * the statistics' own dependence on x included. mean and rstd are the forward pass's. scratch:
 * 3c floats.
 */
__attribute__((export_name("batch_norm_backward"))) void batch_norm_backward(
    const float* x, const float* dy, const float* gamma, const float* beta, const float* mean,
    const float* rstd, float* dx, float* dgamma, float* dbeta, float* scratch, int rows, int c,
    int relu) {
  float* const scale = scratch;
  float* const part_g = scratch + c;
  float* const part_gx = scratch + 2 * c;
  const v128_t zero = wasm_f32x4_splat(0.0f);
  scales(gamma, rstd, scale, c);
  fill_zero(dbeta, c);
  fill_zero(dgamma, c);
  for (int r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
    const int r1 = r0 + BLOCK_ROWS < rows ? r0 + BLOCK_ROWS : rows;
    fill_zero(part_g, 2 * c);
    for (int r = r0; r < r1; r++) {
      const float* xr = x + r * c;
      const float* dyr = dy + r * c;
      for (int ch = 0; ch < c; ch += 4) {
        const v128_t xv = wasm_v128_load(xr + ch);
        v128_t g = wasm_v128_load(dyr + ch);
        if (relu) g = wasm_v128_and(g, wasm_f32x4_gt(pre_activation(xv, mean, scale, beta, ch), zero));
        const v128_t xh = wasm_f32x4_mul(wasm_f32x4_sub(xv, wasm_v128_load(mean + ch)),
                                         wasm_v128_load(rstd + ch));
        wasm_v128_store(part_g + ch, wasm_f32x4_add(wasm_v128_load(part_g + ch), g));
        wasm_v128_store(part_gx + ch,
                        wasm_f32x4_add(wasm_v128_load(part_gx + ch), wasm_f32x4_mul(g, xh)));
      }
    }
    for (int ch = 0; ch < c; ch += 4) {
      wasm_v128_store(dbeta + ch, wasm_f32x4_add(wasm_v128_load(dbeta + ch), wasm_v128_load(part_g + ch)));
      wasm_v128_store(dgamma + ch,
                      wasm_f32x4_add(wasm_v128_load(dgamma + ch), wasm_v128_load(part_gx + ch)));
    }
  }
  /* dx = a * g - k1 - k2 * (x - mean), a = gamma * rstd (= scale), k1 = a * dbeta / rows,
     k2 = a * dgamma * rstd / rows; k1 and k2 reuse the block sums' scratch. */
  float* const k1 = part_g;
  float* const k2 = part_gx;
  const v128_t inv_rows = wasm_f32x4_splat(1.0f / (float)rows);
  for (int ch = 0; ch < c; ch += 4) {
    const v128_t a_n = wasm_f32x4_mul(wasm_v128_load(scale + ch), inv_rows);
    wasm_v128_store(k1 + ch, wasm_f32x4_mul(a_n, wasm_v128_load(dbeta + ch)));
    wasm_v128_store(k2 + ch, wasm_f32x4_mul(wasm_f32x4_mul(a_n, wasm_v128_load(dgamma + ch)),
                                            wasm_v128_load(rstd + ch)));
  }
  for (int r = 0; r < rows; r++) {
    const float* xr = x + r * c;
    const float* dyr = dy + r * c;
    float* dxr = dx + r * c;
    for (int ch = 0; ch < c; ch += 4) {
      const v128_t xv = wasm_v128_load(xr + ch);
      const v128_t a = wasm_v128_load(scale + ch);
      v128_t g = wasm_v128_load(dyr + ch);
      if (relu) g = wasm_v128_and(g, wasm_f32x4_gt(pre_activation(xv, mean, scale, beta, ch), zero));
      const v128_t d = wasm_f32x4_sub(xv, wasm_v128_load(mean + ch));
      const v128_t v = wasm_f32x4_sub(wasm_f32x4_sub(wasm_f32x4_mul(a, g), wasm_v128_load(k1 + ch)),
                                      wasm_f32x4_mul(wasm_v128_load(k2 + ch), d));
      wasm_v128_store(dxr + ch, v);
    }
  }
}
