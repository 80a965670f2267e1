/*
 * Batch norm with the batch's own statistics, optionally followed by a ReLU, forward and
 * backward, for the wasm backend (in place on tfjs-backend-wasm's heap like the other kernels).
 * Composed from tfjs ops, the pair took about a third of a conv4 task: some twenty kernel calls,
 * each a full-size pass with its own output, where these make three passes forward and two
 * backward; the backward pass's own gradient (second-order MAML's support set) makes two more.
 * x is [rows, c] (rows = n*h*w, NHWC), c a multiple of 4.
 *
 * Per-channel sums go through a block accumulator (a block of rows summed, then added to the
 * total), which keeps float32 rounding growth to about the block size plus rows/block rather
 * than rows; conv4's first layer sums 58,800 rows per channel.
 */
#include <wasm_simd128.h>

#include "batchNormShared.h"

/*
 * y = relu?(gamma * (x - mean) * rstd + beta), mean and rstd = 1/sqrt(var + eps) per channel
 * over the rows (the variance divides by rows: the batch's own, biased). Also writes mean and
 * rstd, for the backward pass. scratch: c floats (block sums, then the per-channel scales).
 */
__attribute__((export_name("batch_norm_forward"))) void batch_norm_forward(
    const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd,
    float* scratch, int rows, int c, int relu, float eps) {
  float* const scale = scratch;
  batch_norm_statistics(x, mean, rstd, scratch, rows, c, eps);
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
        const v128_t g = relu_masked(wasm_v128_load(dyr + ch), xv, mean, scale, beta, ch, relu);
        const v128_t xh = normalised(xv, mean, rstd, ch);
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
  /* The block sums' scratch holds dx's coefficients (batchNormShared.h). */
  float* const k1 = part_g;
  float* const k2 = part_gx;
  dx_coefficients(scale, rstd, dgamma, dbeta, k1, k2, rows, c);
  for (int r = 0; r < rows; r++) {
    const float* xr = x + r * c;
    const float* dyr = dy + r * c;
    float* dxr = dx + r * c;
    for (int ch = 0; ch < c; ch += 4) {
      const v128_t xv = wasm_v128_load(xr + ch);
      const v128_t a = wasm_v128_load(scale + ch);
      const v128_t g = relu_masked(wasm_v128_load(dyr + ch), xv, mean, scale, beta, ch, relu);
      const v128_t d = wasm_f32x4_sub(xv, wasm_v128_load(mean + ch));
      const v128_t v = wasm_f32x4_sub(wasm_f32x4_sub(wasm_f32x4_mul(a, g), wasm_v128_load(k1 + ch)),
                                      wasm_f32x4_mul(wasm_v128_load(k2 + ch), d));
      wasm_v128_store(dxr + ch, v);
    }
  }
}

/*
 * The gradient of batch_norm_backward, for second-order MAML's and Meta-SGD's support set: the
 * outer gradient differentiates the inner one, so it goes through (dx, dgamma, dbeta) as functions
 * of (x, gamma, dy). From their gradients a = d/d(dx) [rows, c] and bg = d/d(dgamma),
 * bb = d/d(dbeta) [c], with xh, g and the mask as in batch_norm_backward (the ReLU's mask has a
 * zero derivative almost everywhere, as tf.step's), m = rows, means over the rows written with a
 * bar and A = mean(a * xh), G = mean(g * xh):
 *   d/d(dy) = mask * (bb + bg * xh + gamma * rstd * (a - abar - xh * A)),
 *   d/d(gamma) = rstd * sum(a * (g - gbar - xh * G)),
 *   d/dx = rstd * (h - hbar - xh * mean(h * xh)) - rho * rstd^2 * xh / m, with
 *     h = bg * g - gamma * rstd * (a * G + g * A)  (the gradient w.r.t. xh, rstd held fixed) and
 *     rho = gamma * sum(a * (g - gbar - xh * G))   (the gradient w.r.t. rstd, xh held fixed),
 * the statistics' own dependence on x included (so the mean's and rstd's gradients are zero:
 * they are the forward pass's, functions of x already counted here); d/d(beta) is zero (the mask
 * only). Two passes: five per-channel sums (sum g, g*xh, a, a*xh, a*g), then both outputs, each
 * an affine function per channel of g, a and xh. scratch: 11c floats.
 */
__attribute__((export_name("batch_norm_backward_backward"))) void batch_norm_backward_backward(
    const float* x, const float* dy, const float* gamma, const float* beta, const float* mean,
    const float* rstd, const float* a, const float* bg, const float* bb, float* gx, float* ggamma,
    float* gdy, float* scratch, int rows, int c, int relu) {
  float* const scale = scratch;
  float* const sums = scratch + c;     /* 5c: g, g*xh, a, a*xh, a*g */
  float* const part = scratch + 6 * c; /* 5c: a block's sums, then the coefficients */
  const v128_t zero = wasm_f32x4_splat(0.0f);
  scales(gamma, rstd, scale, c);
  fill_zero(sums, 5 * c);
  for (int r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
    const int r1 = r0 + BLOCK_ROWS < rows ? r0 + BLOCK_ROWS : rows;
    fill_zero(part, 5 * c);
    for (int r = r0; r < r1; r++) {
      const float* xr = x + r * c;
      const float* dyr = dy + r * c;
      const float* ar = a + r * c;
      for (int ch = 0; ch < c; ch += 4) {
        const v128_t xv = wasm_v128_load(xr + ch);
        const v128_t g = relu_masked(wasm_v128_load(dyr + ch), xv, mean, scale, beta, ch, relu);
        const v128_t xh = normalised(xv, mean, rstd, ch);
        const v128_t av = wasm_v128_load(ar + ch);
        /* Written out, not a loop over an array of vectors: an array could be given a place on
           the C stack, which this module does not have. */
        ADD_TO(part + ch, g);
        ADD_TO(part + c + ch, wasm_f32x4_mul(g, xh));
        ADD_TO(part + 2 * c + ch, av);
        ADD_TO(part + 3 * c + ch, wasm_f32x4_mul(av, xh));
        ADD_TO(part + 4 * c + ch, wasm_f32x4_mul(av, g));
      }
    }
    for (int k = 0; k < 5 * c; k += 4)
      wasm_v128_store(sums + k, wasm_f32x4_add(wasm_v128_load(sums + k), wasm_v128_load(part + k)));
  }
  /* Per channel, with s = gamma * rstd (scale) and the sums S*:
       d/d(dy) = mask * (c0 + c1 * xh + s * a),   c0 = bb - s * abar,  c1 = bg - s * A;
       d/dx = e1 * g + e2 * a + e0 + e3 * xh,     e1 = rstd * c1,  e2 = -rstd * s * G,
         e0 = -rstd * hbar,  hbar = bg * gbar - s * (G * abar + A * gbar),
         e3 = -(rstd / m) * (sum(h * xh) + rho * rstd),  sum(h * xh) = m * G * (bg - 2 * s * A),
         rho = gamma * q,  q = Sag - gbar * Sa - G * Sax,  d/d(gamma) = rstd * q. */
  float* const c0 = part;
  float* const c1 = part + c;
  float* const e0 = part + 2 * c;
  float* const e2 = part + 3 * c;
  float* const e3 = part + 4 * c;
  const v128_t inv_rows = wasm_f32x4_splat(1.0f / (float)rows);
  const v128_t m = wasm_f32x4_splat((float)rows);
  const v128_t two = wasm_f32x4_splat(2.0f);
  for (int ch = 0; ch < c; ch += 4) {
    const v128_t s = wasm_v128_load(scale + ch);
    const v128_t r = wasm_v128_load(rstd + ch);
    const v128_t sg = wasm_v128_load(sums + ch), sgx = wasm_v128_load(sums + c + ch);
    const v128_t sa = wasm_v128_load(sums + 2 * c + ch), sax = wasm_v128_load(sums + 3 * c + ch);
    const v128_t sag = wasm_v128_load(sums + 4 * c + ch);
    const v128_t gbar = wasm_f32x4_mul(sg, inv_rows), G = wasm_f32x4_mul(sgx, inv_rows);
    const v128_t abar = wasm_f32x4_mul(sa, inv_rows), A = wasm_f32x4_mul(sax, inv_rows);
    const v128_t bgv = wasm_v128_load(bg + ch);
    const v128_t q = wasm_f32x4_sub(wasm_f32x4_sub(sag, wasm_f32x4_mul(gbar, sa)), wasm_f32x4_mul(G, sax));
    wasm_v128_store(ggamma + ch, wasm_f32x4_mul(r, q));
    const v128_t c1v = wasm_f32x4_sub(bgv, wasm_f32x4_mul(s, A));
    wasm_v128_store(c0 + ch, wasm_f32x4_sub(wasm_v128_load(bb + ch), wasm_f32x4_mul(s, abar)));
    wasm_v128_store(c1 + ch, c1v);
    wasm_v128_store(e2 + ch, wasm_f32x4_neg(wasm_f32x4_mul(wasm_f32x4_mul(r, s), G)));
    const v128_t hbar = wasm_f32x4_sub(
        wasm_f32x4_mul(bgv, gbar),
        wasm_f32x4_mul(s, wasm_f32x4_add(wasm_f32x4_mul(G, abar), wasm_f32x4_mul(A, gbar))));
    wasm_v128_store(e0 + ch, wasm_f32x4_neg(wasm_f32x4_mul(r, hbar)));
    const v128_t shx = wasm_f32x4_mul(wasm_f32x4_mul(m, G),
                                      wasm_f32x4_sub(bgv, wasm_f32x4_mul(two, wasm_f32x4_mul(s, A))));
    const v128_t rho = wasm_f32x4_mul(wasm_v128_load(gamma + ch), q);
    wasm_v128_store(e3 + ch, wasm_f32x4_neg(wasm_f32x4_mul(wasm_f32x4_mul(r, inv_rows),
                                                           wasm_f32x4_add(shx, wasm_f32x4_mul(rho, r)))));
  }
  for (int r = 0; r < rows; r++) {
    const float* xr = x + r * c;
    const float* dyr = dy + r * c;
    const float* ar = a + r * c;
    float* gxr = gx + r * c;
    float* gdyr = gdy + r * c;
    for (int ch = 0; ch < c; ch += 4) {
      const v128_t xv = wasm_v128_load(xr + ch);
      const v128_t rv = wasm_v128_load(rstd + ch);
      const v128_t s = wasm_v128_load(scale + ch);
      const v128_t av = wasm_v128_load(ar + ch);
      v128_t g = wasm_v128_load(dyr + ch);
      v128_t keep = wasm_i32x4_splat(-1);
      if (relu) {
        keep = wasm_f32x4_gt(pre_activation(xv, mean, scale, beta, ch), zero);
        g = wasm_v128_and(g, keep);
      }
      const v128_t xh = wasm_f32x4_mul(wasm_f32x4_sub(xv, wasm_v128_load(mean + ch)), rv);
      const v128_t c1v = wasm_v128_load(c1 + ch);
      const v128_t ddy = wasm_f32x4_add(
          wasm_f32x4_add(wasm_v128_load(c0 + ch), wasm_f32x4_mul(c1v, xh)), wasm_f32x4_mul(s, av));
      wasm_v128_store(gdyr + ch, wasm_v128_and(ddy, keep));
      const v128_t dxv = wasm_f32x4_add(
          wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(rv, c1v), g), wasm_f32x4_mul(wasm_v128_load(e2 + ch), av)),
          wasm_f32x4_add(wasm_v128_load(e0 + ch), wasm_f32x4_mul(wasm_v128_load(e3 + ch), xh)));
      wasm_v128_store(gxr + ch, dxv);
    }
  }
}
