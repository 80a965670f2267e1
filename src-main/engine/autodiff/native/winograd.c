/*
 * 3x3 stride-1 'same' convolutions (padding 1 on every side) by Winograd's minimal filtering,
 * F(2x2, 3x3): each 2x2 block ("tile") of outputs is computed from the tile's 4x4 input patch
 * with 16 multiplications per input/output channel pair instead of 36 (Lavin & Gray, 2016).
 * conv4 and the ResNet generator spend most of their time in exactly these convolutions (the
 * forward pass, and the input gradient, which for this padding is the same convolution with
 * the filter flipped and its channel axes swapped); the filter gradient is the same algorithm
 * with the roles of filter and output exchanged, F(3x3, 2x2). Most forward passes take
 * F(4x4, 3x3) (winograd4.c); this one stays for the calls with few tiles (support sets of a few
 * images on small maps), where F(4x4, 3x3)'s larger filter transform costs more than it saves.
 *
 * The sums differ from a direct convolution's only by rounding (the transforms add and halve;
 * nothing is approximated): the tests compare with a float64 definition.
 *
 * Work goes in blocks of tiles: a block's input patches are transformed into V[16][tiles][ci]
 * (one row per transform point xi), multiplied per point by the transformed filter
 * U[16][ci][co] in 4x8 register tiles, and transformed back, so the scratch a call needs is a
 * few hundred kilobytes that stay in the L2 cache rather than a transformed copy of the whole
 * activation. Channel counts must be multiples of 4 (the callers keep XNNPACK otherwise).
 *
 * Memory: like the other kernels, this module only touches the buffers it is given (tensors
 * and a scratch tensor of winograd_scratch_floats(...) floats, both on tfjs's heap).
 */
#include <wasm_simd128.h>

#include "tiles.h"

/* Tiles per block: the forward pass's V and M blocks are 16 x 32 x 64 floats each (128 KB) for
 * 64 channels. The filter gradient reduces over tiles, so a longer block halves its reloads of
 * the 4x8 accumulators. */
#define FORWARD_BLOCK 32
#define FILTER_BLOCK 64

typedef struct {
  int n, h, w, ci, co, th, tw;
} Shape;

#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub

static inline v128_t half(v128_t a) { return wasm_f32x4_mul(a, wasm_f32x4_splat(0.5f)); }

/*
 * B^T d B for tile t of x into row j of the block v[16][block][ci], 4 channels at a time:
 * B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. d is the tile's 4x4 input patch (rows
 * 2ty-1..2ty+2, columns 2tx-1..2tx+2 of image n), zero in the padding.
 *
 * Written out with named values rather than arrays: an array that clang cannot keep in
 * registers goes on the C shadow stack, in linear memory, and this module's linear memory is
 * tfjs's heap (the build rejects a module with a stack).
 */
#define LOAD(row, ok, col) ((row) && (ok) ? wasm_v128_load((row) + (col) + c) : zero)
/* One patch row times B: (d0 - d2, d1 + d2, d2 - d1, d1 - d3). */
#define ROW_B(p, a, b, cc, d)                                                          \
  do {                                                                                 \
    const v128_t q0 = LOAD(p, ok0, 0), q1 = LOAD(p, 1, ci), q2 = LOAD(p, ok2, 2 * ci); \
    const v128_t q3 = LOAD(p, ok3, 3 * ci);                                            \
    a = SUB(q0, q2), b = ADD(q1, q2), cc = SUB(q2, q1), d = SUB(q1, q3);               \
  } while (0)
static void input_transform(const Shape* s, const float* x, float* v, int block, int t, int j) {
  const int per_image = s->th * s->tw;
  const int n = t / per_image, r = t - n * per_image;
  const int ty = r / s->tw, tx = r - ty * s->tw;
  const int ci = s->ci, stride = PITCH(block, ci), iy = 2 * ty - 1, ix = 2 * tx - 1;
  /* Row pointers at column ix, NULL for rows in the padding; row iy+1 and column ix+1 are
   * always inside (ty < th and tx < tw). */
  const float* base = x + ((n * s->h + iy) * s->w + ix) * ci;
  const int line = s->w * ci;
  const float* p0 = iy >= 0 ? base : 0;
  const float* p1 = base + line;
  const float* p2 = iy + 2 < s->h ? base + 2 * line : 0;
  const float* p3 = iy + 3 < s->h ? base + 3 * line : 0;
  const int ok0 = ix >= 0, ok2 = ix + 2 < s->w, ok3 = ix + 3 < s->w;
  float* out = v + j * ci;
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int c = 0; c < ci; c += 4) {
    v128_t a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3;
    ROW_B(p0, a0, a1, a2, a3);
    ROW_B(p1, b0, b1, b2, b3);
    ROW_B(p2, c0, c1, c2, c3);
    ROW_B(p3, d0, d1, d2, d3);
    float* o = out + c;
    /* B^T times the rows: (a - c, b + c, c - b, b - d), column by column. */
    wasm_v128_store(o + 0 * stride, SUB(a0, c0));
    wasm_v128_store(o + 1 * stride, SUB(a1, c1));
    wasm_v128_store(o + 2 * stride, SUB(a2, c2));
    wasm_v128_store(o + 3 * stride, SUB(a3, c3));
    wasm_v128_store(o + 4 * stride, ADD(b0, c0));
    wasm_v128_store(o + 5 * stride, ADD(b1, c1));
    wasm_v128_store(o + 6 * stride, ADD(b2, c2));
    wasm_v128_store(o + 7 * stride, ADD(b3, c3));
    wasm_v128_store(o + 8 * stride, SUB(c0, b0));
    wasm_v128_store(o + 9 * stride, SUB(c1, b1));
    wasm_v128_store(o + 10 * stride, SUB(c2, b2));
    wasm_v128_store(o + 11 * stride, SUB(c3, b3));
    wasm_v128_store(o + 12 * stride, SUB(b0, d0));
    wasm_v128_store(o + 13 * stride, SUB(b1, d1));
    wasm_v128_store(o + 14 * stride, SUB(b2, d2));
    wasm_v128_store(o + 15 * stride, SUB(b3, d3));
  }
}
#undef ROW_B
#undef LOAD

/* G g G^T for every (ci, co) pair of a [3][3][ci][co] filter into u[16][ci][co]:
 * G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]. */
static void filter_transform(const float* f, float* u, int pairs) {
  for (int k = 0; k < pairs; k += 4) {
    v128_t g[9];
    for (int a = 0; a < 9; a++) g[a] = wasm_v128_load(f + a * pairs + k);
    v128_t e[12]; /* e = G g: 4 rows x 3 columns */
    for (int b = 0; b < 3; b++) {
      const v128_t outer = ADD(g[b], g[6 + b]);
      e[b] = g[b];
      e[3 + b] = half(ADD(outer, g[3 + b]));
      e[6 + b] = half(SUB(outer, g[3 + b]));
      e[9 + b] = g[6 + b];
    }
    for (int i = 0; i < 4; i++) { /* e G^T */
      const v128_t* r = e + 3 * i;
      const v128_t outer = ADD(r[0], r[2]);
      wasm_v128_store(u + (4 * i + 0) * pairs + k, r[0]);
      wasm_v128_store(u + (4 * i + 1) * pairs + k, half(ADD(outer, r[1])));
      wasm_v128_store(u + (4 * i + 2) * pairs + k, half(SUB(outer, r[1])));
      wasm_v128_store(u + (4 * i + 3) * pairs + k, r[2]);
    }
  }
}

/* A^T m A from row j of the block m[16][block][co] into tile t of y, dropping outputs past the
 * edge: A^T = [1 1 1 0; 0 1 -1 -1]. */
static void output_transform(const Shape* s, const float* m, float* y, int block, int t, int j) {
  const int per_image = s->th * s->tw;
  const int n = t / per_image, r = t - n * per_image;
  const int oy = 2 * (r / s->tw), ox = 2 * (r - (r / s->tw) * s->tw);
  const int co = s->co, stride = PITCH(block, co);
  const int down = oy + 1 < s->h, right = ox + 1 < s->w;
  float* y00 = y + ((n * s->h + oy) * s->w + ox) * co;
  float* y10 = y00 + s->w * co;
  const float* in = m + j * co;
  for (int o = 0; o < co; o += 4) {
    v128_t e[8]; /* e = A^T m: 2 rows x 4 columns */
    for (int k = 0; k < 4; k++) {
      const v128_t m0 = wasm_v128_load(in + k * stride + o);
      const v128_t m1 = wasm_v128_load(in + (4 + k) * stride + o);
      const v128_t m2 = wasm_v128_load(in + (8 + k) * stride + o);
      const v128_t m3 = wasm_v128_load(in + (12 + k) * stride + o);
      e[k] = ADD(ADD(m0, m1), m2);
      e[4 + k] = SUB(SUB(m1, m2), m3);
    }
    wasm_v128_store(y00 + o, ADD(ADD(e[0], e[1]), e[2]));
    if (right) wasm_v128_store(y00 + co + o, SUB(SUB(e[1], e[2]), e[3]));
    if (down) {
      wasm_v128_store(y10 + o, ADD(ADD(e[4], e[5]), e[6]));
      if (right) wasm_v128_store(y10 + co + o, SUB(SUB(e[5], e[6]), e[7]));
    }
  }
}

/* Floats of scratch that conv3x3_winograd (forward = 1) or its filter gradient (forward = 0)
 * needs for these channel counts. */
__attribute__((export_name("winograd_scratch_floats"))) int winograd_scratch_floats(int ci, int co,
                                                                                   int forward) {
  const int block = forward ? FORWARD_BLOCK : FILTER_BLOCK;
  return 16 * (ci * co + PITCH(block, ci) + PITCH(block, co));
}

/*
 * y[n][h][w][co] = the 3x3 stride-1 convolution of x[n][h][w][ci] with f[3][3][ci][co], padded
 * by one on every side (tfjs's 'same'). ci and co multiples of 4.
 */
__attribute__((export_name("conv3x3_winograd"))) void conv3x3_winograd(
    const float* x, const float* f, float* y, float* scratch, int n, int h, int w, int ci, int co) {
  const Shape s = {n, h, w, ci, co, (h + 1) / 2, (w + 1) / 2};
  const int tiles = n * s.th * s.tw, block = FORWARD_BLOCK;
  float* u = scratch;
  float* v = u + 16 * ci * co;
  float* m = v + 16 * PITCH(block, ci);
  filter_transform(f, u, ci * co);
  for (int t0 = 0; t0 < tiles; t0 += block) {
    const int count = tiles - t0 < block ? tiles - t0 : block;
    for (int j = 0; j < count; j++) input_transform(&s, x, v, block, t0 + j, j);
    block_products(v, u, m, 16, PITCH(block, ci), PITCH(block, co), count, ci, co);
    for (int j = 0; j < count; j++) output_transform(&s, m, y, block, t0 + j, j);
  }
}

/* G' g G'^T for output gradient tile t (rows 2ty..2ty+1, zero past the edge) into row j of the
 * block w[16][block][co]. G' = [1 0; 1/2 1/2; 1/2 -1/2; 0 -1] is F(3x3, 2x2)'s G with its last
 * row negated, which lets the filter gradient reuse input_transform: that flip turns the
 * forward B^T into F(3x3, 2x2)'s, [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 -1 0 1]. */
static void gradient_transform(const Shape* s, const float* dy, float* wv, int block, int t, int j) {
  const int per_image = s->th * s->tw;
  const int n = t / per_image, r = t - n * per_image;
  const int oy = 2 * (r / s->tw), ox = 2 * (r - (r / s->tw) * s->tw);
  const int co = s->co, stride = PITCH(block, co);
  const int down = oy + 1 < s->h, right = ox + 1 < s->w;
  const float* d00 = dy + ((n * s->h + oy) * s->w + ox) * co;
  const float* d10 = d00 + s->w * co;
  float* out = wv + j * co;
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int o = 0; o < co; o += 4) {
    const v128_t g00 = wasm_v128_load(d00 + o);
    const v128_t g01 = right ? wasm_v128_load(d00 + co + o) : zero;
    const v128_t g10 = down ? wasm_v128_load(d10 + o) : zero;
    const v128_t g11 = down && right ? wasm_v128_load(d10 + co + o) : zero;
    /* e = G' g: 4 rows x 2 columns */
    const v128_t e[8] = {g00,
                         g01,
                         half(ADD(g00, g10)),
                         half(ADD(g01, g11)),
                         half(SUB(g00, g10)),
                         half(SUB(g01, g11)),
                         SUB(zero, g10),
                         SUB(zero, g11)};
    for (int i = 0; i < 4; i++) { /* e G'^T */
      const v128_t a = e[2 * i], b = e[2 * i + 1];
      wasm_v128_store(out + (4 * i + 0) * stride + o, a);
      wasm_v128_store(out + (4 * i + 1) * stride + o, half(ADD(a, b)));
      wasm_v128_store(out + (4 * i + 2) * stride + o, half(SUB(a, b)));
      wasm_v128_store(out + (4 * i + 3) * stride + o, SUB(zero, b));
    }
  }
}

/* dw[3][3][ci][co] = A^T acc A for every pair: A^T = [1 1 1 0; 0 1 -1 0; 0 1 1 1]. */
static void filter_gradient_transform(const float* acc, float* dw, int pairs) {
  for (int k = 0; k < pairs; k += 4) {
    v128_t m[16];
    for (int a = 0; a < 16; a++) m[a] = wasm_v128_load(acc + a * pairs + k);
    v128_t e[12]; /* e = A^T m: 3 rows x 4 columns */
    for (int b = 0; b < 4; b++) {
      const v128_t inner = ADD(m[4 + b], m[8 + b]);
      e[b] = ADD(m[b], inner);
      e[4 + b] = SUB(m[4 + b], m[8 + b]);
      e[8 + b] = ADD(inner, m[12 + b]);
    }
    for (int i = 0; i < 3; i++) { /* e A */
      const v128_t* r = e + 4 * i;
      const v128_t inner = ADD(r[1], r[2]);
      wasm_v128_store(dw + (3 * i + 0) * pairs + k, ADD(r[0], inner));
      wasm_v128_store(dw + (3 * i + 1) * pairs + k, SUB(r[1], r[2]));
      wasm_v128_store(dw + (3 * i + 2) * pairs + k, ADD(inner, r[3]));
    }
  }
}

/*
 * dw[a][b][i][o] = sum over n, y, x of x[n][y+a-1][x+b-1][i] * dy[n][y][x][o]: the filter
 * gradient of conv3x3_winograd's convolution (dy has x's height and width). ci and co
 * multiples of 4.
 */
__attribute__((export_name("conv3x3_winograd_filter_grad"))) void conv3x3_winograd_filter_grad(
    const float* x, const float* dy, float* dw, float* scratch, int n, int h, int w, int ci,
    int co) {
  const Shape s = {n, h, w, ci, co, (h + 1) / 2, (w + 1) / 2};
  const int tiles = n * s.th * s.tw, block = FILTER_BLOCK;
  float* acc = scratch;
  float* v = acc + 16 * ci * co;
  float* g = v + 16 * PITCH(block, ci);
  for (int q = 0; q < 16 * ci * co; q++) acc[q] = 0.0f;
  for (int t0 = 0; t0 < tiles; t0 += block) {
    const int count = tiles - t0 < block ? tiles - t0 : block;
    for (int j = 0; j < count; j++) {
      input_transform(&s, x, v, block, t0 + j, j);
      gradient_transform(&s, dy, g, block, t0 + j, j);
    }
    for (int xi = 0; xi < 16; xi++) {
      tile_accumulate(v + xi * PITCH(block, ci), g + xi * PITCH(block, co), acc + xi * ci * co, count, ci, co);
    }
  }
  filter_gradient_transform(acc, dw, ci * co);
}
