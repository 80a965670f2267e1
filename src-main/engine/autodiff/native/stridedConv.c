/*
 * Strided convolutions (NHWC, float32, no dilation) directly, in 4x8 register tiles of four
 * positions (anywhere in the batch) by eight channels:
 *
 *   forward:        y[n][oy][ox][o] = sum over taps (a, b) and i of x[n][iy][ix][i] * w[a][b][i][o]
 *   input gradient: dx[n][iy][ix][i] = sum over taps (a, b) and o of dy[n][oy][ox][o] * w[a][b][i][o]
 *   where iy = oy*sh + a - pt and ix = ox*sw + b - pl.
 *
 * A tap that reads outside its input (the padding, at the borders) reads a row of zeros instead,
 * so every group of four positions takes one code path; the last group repeats its last
 * position, which computes and stores the same values twice.
 *
 * Input gradient: positions of dx with the same (iy + pt) mod sh and (ix + pl) mod sw (a phase)
 * take the same taps, a = (iy + pt) mod sh, + sh, ... and likewise b; the others would meet dy
 * between its samples, where a strided conv's gradient is zero. So each phase is a product over
 * its own taps only, with no multiplication by an inserted zero. The filter is first transposed
 * to wt[a][b][o][i] so that eight input channels are consecutive. Before this, the phases were
 * stride-1 XNNPACK convs, one per phase with a transposed filter copied in JavaScript, whose
 * outputs a JavaScript loop scattered into dx: 11-18 GFLOP/s on the generator's strided layers
 * and 5-11 on its 1x1 stride-2 shortcuts, against 21-41 and 10-24 here (75 images, one thread).
 *
 * Forward: XNNPACK ran the generator's strided layers at 14-29 GFLOP/s (its 16-channel input
 * the slowest); this is 1.0-1.6x as fast there, 2-3x on the 1x1 shortcuts and 2.1x on a first
 * layer with 3 input channels (75x84x84x3 to 32). The callers keep XNNPACK for the other convs,
 * where this direct form was measured no faster.
 *
 * The input gradient needs input channels in fours, the forward pass output channels in fours
 * (the callers keep the XNNPACK paths otherwise). Scratch: conv2d_input_grad_scratch_floats or
 * conv2d_forward_scratch_floats floats (the transposed filter, the row of zeros).
 */
#include <wasm_simd128.h>

#include "tiles.h"

typedef struct {
  int n, h, w, ci, ho, wo, co, fh, fw, sh, sw, pt, pl;
} Shape;

/* The dy row that the k-th row tap and kb-th column tap of a phase bring to the phase's position
 * (m, jy, jx), or `zeros` where it lies outside dy. With iy = iy0 + jy*sh and a = ry + k*sh,
 * (iy + pt - a) / sh = jy + ey - k, where ey = (iy0 + pt - ry) / sh (exact, by the choice of
 * iy0); likewise for x. No division per tap: this runs for every tap of every tile. */
static inline const float* dy_row(const Shape* s, const float* dy, const float* zeros, int m, int jy,
                                  int jx, int k, int kb, int ey, int ex) {
  const int y = jy + ey - k, x = jx + ex - kb;
  if (y < 0 || x < 0 || y >= s->ho || x >= s->wo) return zeros;
  return dy + ((m * s->ho + y) * s->wo + x) * s->co;
}

/* The position after (m, jy, jx) in the phase's order (images, rows, columns), into (m2, jy2,
 * jx2); the same position where (m, jy, jx) is the phase's last, so that the last group of four
 * repeats it. Counters, not a division of a flat index: this runs for every group. */
#define NEXT(m, jy, jx, m2, jy2, jx2)                                   \
  int m2 = m, jy2 = jy, jx2 = jx + 1;                                   \
  if (jx2 == cx) {                                                      \
    jx2 = 0;                                                            \
    if (++jy2 == cy) {                                                  \
      jy2 = 0;                                                          \
      if (++m2 == s->n) m2 = m, jy2 = jy, jx2 = jx;                     \
    }                                                                   \
  }

/* The four dy rows of the tap (a, b) = (ry + k*sh, rx + kb*sw) for the group's positions. */
#define TAP_ROWS                                                           \
  const float* p0 = dy_row(s, dy, zeros, m0, jy0, jx0, k, kb, ey, ex);     \
  const float* p1 = dy_row(s, dy, zeros, m1, jy1, jx1, k, kb, ey, ex);     \
  const float* p2 = dy_row(s, dy, zeros, m2, jy2, jx2, k, kb, ey, ex);     \
  const float* p3 = dy_row(s, dy, zeros, m3, jy3, jx3, k, kb, ey, ex);     \
  const float* wp = wt + (a * s->fw + b) * s->co * s->ci + i0

/* The 4x8 or 4x4 tile's rows into the group's four outputs d0..d3, from channel k. */
#define STORE_4X8(k)                                                     \
  wasm_v128_store(d0 + (k), c00), wasm_v128_store(d0 + (k) + 4, c01);    \
  wasm_v128_store(d1 + (k), c10), wasm_v128_store(d1 + (k) + 4, c11);    \
  wasm_v128_store(d2 + (k), c20), wasm_v128_store(d2 + (k) + 4, c21);    \
  wasm_v128_store(d3 + (k), c30), wasm_v128_store(d3 + (k) + 4, c31)
#define STORE_4X4(k)                                                     \
  wasm_v128_store(d0 + (k), c0v), wasm_v128_store(d1 + (k), c1v);        \
  wasm_v128_store(d2 + (k), c2v), wasm_v128_store(d3 + (k), c3v)

/* The positions of phase (ry, rx), in groups of four. */
static void phase(const Shape* s, const float* dy, const float* wt, const float* zeros, float* dx,
                  int ry, int rx) {
  /* First row and column of the phase: (iy0 + pt) mod sh = ry. */
  const int iy0 = ((ry - s->pt) % s->sh + s->sh) % s->sh;
  const int ix0 = ((rx - s->pl) % s->sw + s->sw) % s->sw;
  if (iy0 >= s->h || ix0 >= s->w) return;
  const int cy = (s->h - 1 - iy0) / s->sh + 1, cx = (s->w - 1 - ix0) / s->sw + 1;
  const int total = s->n * cy * cx;
  const int ey = (iy0 + s->pt - ry) / s->sh, ex = (ix0 + s->pl - rx) / s->sw;
  const int ci = s->ci, co = s->co, ci8 = ci & ~7;
  int m0 = 0, jy0 = 0, jx0 = 0;
  for (int q = 0; q < total; q += 4) {
    NEXT(m0, jy0, jx0, m1, jy1, jx1);
    NEXT(m1, jy1, jx1, m2, jy2, jx2);
    NEXT(m2, jy2, jx2, m3, jy3, jx3);
    float* d0 = dx + ((m0 * s->h + iy0 + jy0 * s->sh) * s->w + ix0 + jx0 * s->sw) * ci;
    float* d1 = dx + ((m1 * s->h + iy0 + jy1 * s->sh) * s->w + ix0 + jx1 * s->sw) * ci;
    float* d2 = dx + ((m2 * s->h + iy0 + jy2 * s->sh) * s->w + ix0 + jx2 * s->sw) * ci;
    float* d3 = dx + ((m3 * s->h + iy0 + jy3 * s->sh) * s->w + ix0 + jx3 * s->sw) * ci;
    for (int i0 = 0; i0 < ci8; i0 += 8) {
      TILE4X8_ZERO;
      for (int a = ry, k = 0; a < s->fh; a += s->sh, k++) {
        for (int b = rx, kb = 0; b < s->fw; b += s->sw, kb++) {
          TAP_ROWS;
          for (int o = 0; o < co; o++, wp += ci) TILE4X8_STEP(wp, p0 + o, p1 + o, p2 + o, p3 + o);
        }
      }
      STORE_4X8(i0);
    }
    if (ci8 < ci) { /* the last 4 input channels */
      const int i0 = ci8;
      TILE4X4_ZERO;
      for (int a = ry, k = 0; a < s->fh; a += s->sh, k++) {
        for (int b = rx, kb = 0; b < s->fw; b += s->sw, kb++) {
          TAP_ROWS;
          for (int o = 0; o < co; o++, wp += ci) TILE4X4_STEP(wp, p0 + o, p1 + o, p2 + o, p3 + o);
        }
      }
      STORE_4X4(i0);
    }
    NEXT(m3, jy3, jx3, m4, jy4, jx4);
    m0 = m4, jy0 = jy4, jx0 = jx4;
  }
}

__attribute__((export_name("conv2d_input_grad_scratch_floats"))) int conv2d_input_grad_scratch_floats(
    int ci, int co, int fh, int fw) {
  return fh * fw * co * ci + co;
}

__attribute__((export_name("conv2d_input_grad"))) void conv2d_input_grad(
    const float* dy, const float* w, float* dx, float* scratch, int n, int h, int wd, int ci, int ho,
    int wo, int co, int fh, int fw, int sh, int sw, int pt, int pl) {
  const Shape s = {n, h, wd, ci, ho, wo, co, fh, fw, sh, sw, pt, pl};
  float* wt = scratch;
  float* zeros = scratch + fh * fw * co * ci;
  for (int t = 0; t < fh * fw; t++) {
    const float* from = w + t * ci * co;
    float* to = wt + t * co * ci;
    for (int i = 0; i < ci; i++) {
      for (int o = 0; o < co; o++) to[o * ci + i] = from[i * co + o];
    }
  }
  for (int o = 0; o < co; o++) zeros[o] = 0.0f;
  for (int ry = 0; ry < sh; ry++) {
    for (int rx = 0; rx < sw; rx++) phase(&s, dy, wt, zeros, dx, ry, rx);
  }
}

/* The x row that tap (a, b) brings to output position (m, oy, ox), or `zeros` in the padding. */
static inline const float* x_row(const Shape* s, const float* x, const float* zeros, int m, int oy,
                                 int ox, int a, int b) {
  const int iy = oy * s->sh + a - s->pt, ix = ox * s->sw + b - s->pl;
  if (iy < 0 || ix < 0 || iy >= s->h || ix >= s->w) return zeros;
  return x + ((m * s->h + iy) * s->w + ix) * s->ci;
}

#define X_ROWS                                                   \
  const float* p0 = x_row(s, x, zeros, m0, jy0, jx0, a, b);      \
  const float* p1 = x_row(s, x, zeros, m1, jy1, jx1, a, b);      \
  const float* p2 = x_row(s, x, zeros, m2, jy2, jx2, a, b);      \
  const float* p3 = x_row(s, x, zeros, m3, jy3, jx3, a, b);      \
  const float* wp = w + (a * s->fw + b) * s->ci * co + o0

static void forward(const Shape* s, const float* x, const float* w, const float* zeros, float* y) {
  /* The "phase" is every output position: NEXT walks images, rows (cy) and columns (cx). */
  const int cy = s->ho, cx = s->wo, total = s->n * cy * cx;
  const int ci = s->ci, co = s->co, co8 = co & ~7;
  int m0 = 0, jy0 = 0, jx0 = 0;
  for (int q = 0; q < total; q += 4) {
    NEXT(m0, jy0, jx0, m1, jy1, jx1);
    NEXT(m1, jy1, jx1, m2, jy2, jx2);
    NEXT(m2, jy2, jx2, m3, jy3, jx3);
    float* d0 = y + ((m0 * cy + jy0) * cx + jx0) * co;
    float* d1 = y + ((m1 * cy + jy1) * cx + jx1) * co;
    float* d2 = y + ((m2 * cy + jy2) * cx + jx2) * co;
    float* d3 = y + ((m3 * cy + jy3) * cx + jx3) * co;
    for (int o0 = 0; o0 < co8; o0 += 8) {
      TILE4X8_ZERO;
      for (int a = 0; a < s->fh; a++) {
        for (int b = 0; b < s->fw; b++) {
          X_ROWS;
          for (int i = 0; i < ci; i++, wp += co) TILE4X8_STEP(wp, p0 + i, p1 + i, p2 + i, p3 + i);
        }
      }
      STORE_4X8(o0);
    }
    if (co8 < co) { /* the last 4 output channels */
      const int o0 = co8;
      TILE4X4_ZERO;
      for (int a = 0; a < s->fh; a++) {
        for (int b = 0; b < s->fw; b++) {
          X_ROWS;
          for (int i = 0; i < ci; i++, wp += co) TILE4X4_STEP(wp, p0 + i, p1 + i, p2 + i, p3 + i);
        }
      }
      STORE_4X4(o0);
    }
    NEXT(m3, jy3, jx3, m4, jy4, jx4);
    m0 = m4, jy0 = jy4, jx0 = jx4;
  }
}

__attribute__((export_name("conv2d_forward_scratch_floats"))) int conv2d_forward_scratch_floats(int ci) {
  return ci;
}

__attribute__((export_name("conv2d_forward"))) void conv2d_forward(const float* x, const float* w, float* y,
                                                                   float* scratch, int n, int h, int wd,
                                                                   int ci, int ho, int wo, int co, int fh,
                                                                   int fw, int sh, int sw, int pt, int pl) {
  const Shape s = {n, h, wd, ci, ho, wo, co, fh, fw, sh, sw, pt, pl};
  for (int i = 0; i < ci; i++) scratch[i] = 0.0f;
  if (n > 0 && ho > 0 && wo > 0) forward(&s, x, w, scratch, y);
}
