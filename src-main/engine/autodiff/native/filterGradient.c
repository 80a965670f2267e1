/*
 * Conv2D filter gradient for the wasm backend, as one wasm SIMD module that works in place on
 * tfjs-backend-wasm's heap (the module imports that memory; pointers are tensor offsets).
 *
 *   dw[a][b][i][o] = sum over n, y, x of  x[n][y*sh + a - pt][x*sw + b - pl][i] * dy[n][y][x][o]
 *
 * XNNPACK has no such kernel: written as a forward conv (dy as the filter) it ran at 8-13
 * GFLOP/s, against 28 for the forward conv of the same size, and at 1 GFLOP/s for a
 * single-channel input, because every call transposes x and dy and repacks dy (a whole
 * activation) as a filter. Here dw is accumulated in 4x8 register tiles (4 input channels x
 * 8 output channels) while the output rows of one block (about 48 positions, so that their x
 * and dy rows stay in the L1 cache) are streamed once per tile and tap.
 *
 * Built with clang's wasm32 target by `npm run build:kernels` (scripts/build-kernels.mjs).
 * The module must not touch linear memory other than through its arguments: it has no data
 * segment and no shadow stack (the tests check that it writes nothing outside dw), since the
 * memory it sees is tfjs's own.
 */
#include <wasm_simd128.h>

#include "tiles.h"

#define ROW_BLOCK_POSITIONS 48

typedef struct {
  int n, h, w, ci, ho, wo, co, sh, sw, pt, pl;
} Shape;

/* First and one-past-last output column whose tap b reads inside x. */
static inline int first_col(const Shape* s, int b) {
  int need = s->pl - b; /* x*sw >= pl - b */
  if (need <= 0) return 0;
  return (need + s->sw - 1) / s->sw;
}
static inline int end_col(const Shape* s, int b) {
  int lim = s->w - 1 + s->pl - b; /* x*sw <= w - 1 + pl - b */
  if (lim < 0) return 0;
  int e = lim / s->sw + 1;
  return e < s->wo ? e : s->wo;
}

/*
 * Where output row (n, y) reads x for tap (a, b), from output column xa on; NULL when that tap's
 * input row lies outside x. Shared by the tiles below, which add their channel offset.
 */
static inline const float* x_row(const Shape* s, const float* x, int n, int y, int a, int b, int xa) {
  const int iy = y * s->sh + a - s->pt;
  if (iy < 0 || iy >= s->h) return 0;
  return x + ((n * s->h + iy) * s->w + (xa * s->sw + b - s->pl)) * s->ci;
}

/* For each output row r = n*ho + y from r0 to r1 - 1: `row` (x's row for tap (a, b), or NULL) and
 * `dyr` (dy's row at column xa). Image and row by counters, not a division per row: on the small
 * maps of strided layers (4 to 14 columns) a row is only a few steps of the tile; without the
 * division the generator's strided filter gradients ran 1.01-1.12x as fast (same results). */
#define FOR_ROWS(...)                                                 \
  do {                                                                \
    int n_ = r0 / s->ho, y_ = r0 - n_ * s->ho;                        \
    for (int r = r0; r < r1; r++) {                                   \
      const float* row = x_row(s, x, n_, y_, a, b, xa);                \
      const float* dyr = dy + (r * s->wo + xa) * co;                  \
      if (++y_ == s->ho) y_ = 0, n_++;                                \
      if (!row) continue;                                             \
      __VA_ARGS__;                                                    \
    }                                                                 \
  } while (0)

/* Accumulates the 4x8 tile dw[a][b][i0..i0+3][o0..o0+7] over output rows r0..r1-1. */
static void tile4x8(const Shape* s, const float* x, const float* dy, float* dw, int a, int b,
                    int i0, int o0, int r0, int r1, int xa, int xb) {
  const int co = s->co, ci = s->ci;
  float* d0 = dw + i0 * co + o0;
  TILE4X8_LOAD(d0, co);
  const int xstep = s->sw * ci;
  FOR_ROWS({
    const float* xp = row + i0;
    const float* dp = dyr + o0;
    for (int k = xa; k < xb; k++, xp += xstep, dp += co) TILE4X8_STEP(dp, xp, xp + 1, xp + 2, xp + 3);
  });
  TILE4X8_STORE(d0, co);
}

/* One input channel by 4 output channels: channel counts that 4x8 tiles do not cover. */
static void tile1x4(const Shape* s, const float* x, const float* dy, float* dw, int a, int b,
                    int i, int o0, int r0, int r1, int xa, int xb) {
  const int co = s->co, ci = s->ci;
  float* d0 = dw + i * co + o0;
  v128_t c = wasm_v128_load(d0);
  const int xstep = s->sw * ci;
  FOR_ROWS({
    const float* xp = row + i;
    const float* dp = dyr + o0;
    for (int k = xa; k < xb; k++, xp += xstep, dp += co) {
      c = wasm_f32x4_add(c, wasm_f32x4_mul(wasm_v128_load32_splat(xp), wasm_v128_load(dp)));
    }
  });
  wasm_v128_store(d0, c);
}

/* One input channel by one output channel: the last co % 4 columns. */
static void tile1x1(const Shape* s, const float* x, const float* dy, float* dw, int a, int b,
                    int i, int o, int r0, int r1, int xa, int xb) {
  const int co = s->co, ci = s->ci;
  float c = dw[i * co + o];
  const int xstep = s->sw * ci;
  FOR_ROWS({
    const float* xp = row + i;
    const float* dp = dyr + o;
    for (int k = xa; k < xb; k++, xp += xstep, dp += co) c += *xp * *dp;
  });
  dw[i * co + o] = c;
}

__attribute__((export_name("conv2d_filter_grad"))) void conv2d_filter_grad(
    const float* x, const float* dy, float* dw, int n, int h, int w, int ci, int ho, int wo,
    int co, int fh, int fw, int sh, int sw, int pt, int pl) {
  const Shape s = {n, h, w, ci, ho, wo, co, sh, sw, pt, pl};
  const int taps = fh * fw * ci * co;
  for (int k = 0; k < taps; k++) dw[k] = 0.0f;
  const int rows = n * ho;
  int rows_per_block = wo > 0 ? ROW_BLOCK_POSITIONS / wo : 1;
  if (rows_per_block < 1) rows_per_block = 1;
  const int ci4 = ci & ~3, co8 = co & ~7, co4 = co & ~3;
  for (int r0 = 0; r0 < rows; r0 += rows_per_block) {
    const int r1 = r0 + rows_per_block < rows ? r0 + rows_per_block : rows;
    for (int a = 0; a < fh; a++) {
      for (int b = 0; b < fw; b++) {
        const int xa = first_col(&s, b), xb = end_col(&s, b);
        if (xa >= xb) continue;
        float* tap = dw + (a * fw + b) * ci * co;
        for (int i = 0; i < ci4; i += 4) {
          for (int o = 0; o < co8; o += 8) tile4x8(&s, x, dy, tap, a, b, i, o, r0, r1, xa, xb);
        }
        for (int i = 0; i < ci; i++) {
          /* Rows i < ci4 already hold the first co8 columns. */
          for (int o = i < ci4 ? co8 : 0; o < co4; o += 4) {
            tile1x4(&s, x, dy, tap, a, b, i, o, r0, r1, xa, xb);
          }
          for (int o = co4; o < co; o++) tile1x1(&s, x, dy, tap, a, b, i, o, r0, r1, xa, xb);
        }
      }
    }
  }
}
