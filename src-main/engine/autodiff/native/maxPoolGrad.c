/*
 * Gradient of a 2x2, stride-2, unpadded max-pool (conv4's pooling) for the wasm backend, in
 * place on tfjs-backend-wasm's heap like filterGradient.c. Each window's dy goes to the first
 * of its maxima in row-major order, and a NaN never wins: the cpu backend's rule, which the
 * JavaScript version this replaces (28 ms on 75x28x28x64, here about a tenth) also follows.
 * The windows do not overlap, so every dx element is written once: four channels at a time,
 * the gradient masked by which of the four positions won.
 */
#include <wasm_simd128.h>

#include "maxPoolWindow.h"

__attribute__((export_name("max_pool_2x2_grad"))) void max_pool_2x2_grad(
    const float* x, const float* g, float* dx, int n, int h, int w, int c, int oh, int ow) {
  /* A row or column that no window covers (odd sizes) gets no gradient; else all is written. */
  if (2 * oh != h || 2 * ow != w) {
    const int size = n * h * w * c;
    for (int k = 0; k < size; k++) dx[k] = 0.0f;
  }
  const int row = w * c, c4 = c & ~3;
  for (int b = 0; b < n; b++) {
    for (int oy = 0; oy < oh; oy++) {
      for (int ox = 0; ox < ow; ox++) {
        const int p00 = (b * h + 2 * oy) * row + 2 * ox * c;
        const int p01 = p00 + c, p10 = p00 + row, p11 = p10 + c;
        const float* gp = g + ((b * oh + oy) * ow + ox) * c;
        int ch = 0;
        for (; ch < c4; ch += 4) {
          const v128_t v00 = wasm_v128_load(x + p00 + ch), v01 = wasm_v128_load(x + p01 + ch);
          const v128_t v10 = wasm_v128_load(x + p10 + ch), v11 = wasm_v128_load(x + p11 + ch);
          WINDOW_WINNERS(v00, v01, v10, v11)
          /* A window of NaNs passes no gradient. */
          const v128_t gv = wasm_v128_and(wasm_v128_load(gp + ch), wasm_f32x4_eq(best, best));
          wasm_v128_store(dx + p00 + ch, wasm_v128_and(gv, m00));
          wasm_v128_store(dx + p01 + ch, wasm_v128_and(gv, m01));
          wasm_v128_store(dx + p10 + ch, wasm_v128_and(gv, m10));
          wasm_v128_store(dx + p11 + ch, wasm_v128_and(gv, m11));
        }
        for (; ch < c; ch++) {
          int at = p00 + ch;
          float best = x[at], v = x[p01 + ch];
          if (v > best || best != best) best = v, at = p01 + ch;
          v = x[p10 + ch];
          if (v > best || best != best) best = v, at = p10 + ch;
          v = x[p11 + ch];
          if (v > best || best != best) best = v, at = p11 + ch;
          dx[p00 + ch] = dx[p01 + ch] = dx[p10 + ch] = dx[p11 + ch] = 0.0f;
          if (best == best) dx[at] = gp[ch];
        }
      }
    }
  }
}
