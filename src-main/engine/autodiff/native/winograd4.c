/*
 * 3x3 stride-1 'same' convolutions by Winograd's F(4x4, 3x3) (Lavin & Gray, 2016): each 4x4 block
 * of outputs from its 6x6 input patch, with 36 multiplications per input/output channel pair
 * instead of F(2x2, 3x3)'s 64 for the same 16 outputs (and a direct convolution's 144): the
 * forward pass and the input gradient (the same convolution with the filter flipped and its
 * channel axes swapped). Against F(2x2, 3x3) (winograd.c): 1.1-1.6x as fast on the generator's
 * and conv4's layers on 75 images (28x28x16 to 4x4x128), but its filter transform is about 3x
 * F(2x2, 3x3)'s, so with few tiles (5 images of 3x3 or 4x4) F(2x2, 3x3) is faster and the
 * caller keeps it there (wasmKernels.ts). The filter gradient is F(3x3, 2x2), in winograd.c.
 *
 * The transforms use the points 0, +-1, +-2 and infinity:
 *   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
 *   G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
 *   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
 * Nothing is approximated; the sums round differently from a direct convolution's (more than
 * F(2x2, 3x3)'s: the transforms scale by up to 8 and the filter's by 1/6 and 1/24, which are not
 * exact in float32). The tests compare with a float64 definition at the same tolerance as the
 * other kernels.
 *
 * Work goes in blocks of tiles: a block's input patches are transformed into V[36][tiles][ci]
 * (one row per transform point xi), multiplied per point by the transformed filter
 * U[36][ci][co] in 4x8 register tiles, and transformed back, so the scratch a call needs stays in
 * the L2 cache rather than holding a transformed copy of the whole activation. Channel counts
 * must be multiples of 4 (the callers keep XNNPACK otherwise).
 */
#include <wasm_simd128.h>

#include "tiles.h"

/* Tiles (of 16 outputs) per block: V and M are 36 x 16 x 64 floats each (147 KB) for 64 channels. */
#define BLOCK 16

#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul
#define SPLAT wasm_f32x4_splat

typedef struct {
  int n, h, w, ci, co, th, tw;
} Shape;

/* r = B^T d for one line of six values (a row or a column of a patch). */
#define BT6(d0, d1, d2, d3, d4, d5, r0, r1, r2, r3, r4, r5)        \
  do {                                                              \
    const v128_t four_ = SPLAT(4.0f), five_ = SPLAT(5.0f);          \
    r0 = ADD(SUB(MUL(four_, d0), MUL(five_, d2)), d4);              \
    r1 = SUB(ADD(d3, d4), MUL(four_, ADD(d1, d2)));                 \
    r2 = ADD(SUB(d4, d3), MUL(four_, SUB(d1, d2)));                 \
    const v128_t a_ = SUB(d4, d2), b_ = MUL(SPLAT(2.0f), SUB(d3, d1)); \
    r3 = ADD(a_, b_);                                               \
    r4 = SUB(a_, b_);                                               \
    r5 = ADD(SUB(MUL(four_, d1), MUL(five_, d3)), d5);              \
  } while (0)

/* Patch row r, times B: six loads (zero in the padding) and BT6 along the row, into slots
 * 6r .. 6r + 5 of the tile's place in v. */
#define LOAD(p, ok, col) ((p) && (ok) ? wasm_v128_load((p) + (col) * ci + c) : zero)
#define ROW(p, r)                                                                            \
  do {                                                                                       \
    const v128_t q0 = LOAD(p, ok0, 0), q1 = LOAD(p, 1, 1), q2 = LOAD(p, ok2, 2);              \
    const v128_t q3 = LOAD(p, ok3, 3), q4 = LOAD(p, ok4, 4), q5 = LOAD(p, ok5, 5);            \
    v128_t e0, e1, e2, e3, e4, e5;                                                           \
    BT6(q0, q1, q2, q3, q4, q5, e0, e1, e2, e3, e4, e5);                                     \
    float* at = o + 6 * (r) * stride;                                                        \
    wasm_v128_store(at, e0);                                                                 \
    wasm_v128_store(at + stride, e1);                                                        \
    wasm_v128_store(at + 2 * stride, e2);                                                    \
    wasm_v128_store(at + 3 * stride, e3);                                                    \
    wasm_v128_store(at + 4 * stride, e4);                                                    \
    wasm_v128_store(at + 5 * stride, e5);                                                    \
  } while (0)
/* Column j of the row-transformed patch (slots j, 6 + j, ..., 30 + j), times B^T, in place. */
#define COLUMN(j)                                                                            \
  do {                                                                                       \
    float* at = o + (j) * stride;                                                            \
    const v128_t e0 = wasm_v128_load(at), e1 = wasm_v128_load(at + 6 * stride);              \
    const v128_t e2 = wasm_v128_load(at + 12 * stride), e3 = wasm_v128_load(at + 18 * stride); \
    const v128_t e4 = wasm_v128_load(at + 24 * stride), e5 = wasm_v128_load(at + 30 * stride); \
    v128_t r0, r1, r2, r3, r4, r5;                                                           \
    BT6(e0, e1, e2, e3, e4, e5, r0, r1, r2, r3, r4, r5);                                     \
    wasm_v128_store(at, r0);                                                                 \
    wasm_v128_store(at + 6 * stride, r1);                                                    \
    wasm_v128_store(at + 12 * stride, r2);                                                   \
    wasm_v128_store(at + 18 * stride, r3);                                                   \
    wasm_v128_store(at + 24 * stride, r4);                                                   \
    wasm_v128_store(at + 30 * stride, r5);                                                   \
  } while (0)
/*
 * B^T d B for tile t of x into row j of the block v[36][block][ci] (points PITCH apart), 4
 * channels at a time. d is the tile's 6x6 input patch (rows 4ty-1..4ty+4, columns 4tx-1..4tx+4),
 * zero outside x. Two passes through v, the rows then the columns, so that one line of the patch
 * is live at a time: holding the whole patch (36 vectors) in named values, as this did before,
 * the JIT spilled most of them (x64 has 16 vector registers), which cost more than the pass's 36
 * stores and loads (in the L1 cache, once the points no longer share its sets: PITCH). 22-27%
 * off the F(4x4, 3x3) kernels on the generator's layers with PITCH; the same two passes for the
 * output and gradient transforms measured no faster. Named values, not arrays (an array clang
 * cannot keep in registers would need the C stack, which this module does not have).
 */
/* Always inlined, as is gradient_transform: a call would pass the Shape's address, which needs the
 * C stack this module does not have (a call that was not inlined trapped). */
static inline __attribute__((always_inline)) void input_transform(const Shape* s, const float* x, float* v, int block, int t, int j) {
  const int per_image = s->th * s->tw;
  const int n = t / per_image, r = t - n * per_image;
  const int ty = r / s->tw, tx = r - ty * s->tw;
  const int ci = s->ci, stride = PITCH(block, ci), iy = 4 * ty - 1, ix = 4 * tx - 1;
  /* Row pointers at column ix, NULL for rows outside x; row iy+1 and column ix+1 are always
   * inside (ty < th and tx < tw). */
  const int line = s->w * ci;
  const float* base = x + ((n * s->h + iy) * s->w + ix) * ci;
  const float* p0 = iy >= 0 ? base : 0;
  const float* p1 = base + line;
  const float* p2 = iy + 2 < s->h ? base + 2 * line : 0;
  const float* p3 = iy + 3 < s->h ? base + 3 * line : 0;
  const float* p4 = iy + 4 < s->h ? base + 4 * line : 0;
  const float* p5 = iy + 5 < s->h ? base + 5 * line : 0;
  const int ok0 = ix >= 0, ok2 = ix + 2 < s->w, ok3 = ix + 3 < s->w, ok4 = ix + 4 < s->w,
            ok5 = ix + 5 < s->w;
  float* out = v + j * ci;
  const v128_t zero = SPLAT(0.0f);
  for (int c = 0; c < ci; c += 4) {
    float* o = out + c;
    ROW(p0, 0);
    ROW(p1, 1);
    ROW(p2, 2);
    ROW(p3, 3);
    ROW(p4, 4);
    ROW(p5, 5);
    COLUMN(0);
    COLUMN(1);
    COLUMN(2);
    COLUMN(3);
    COLUMN(4);
    COLUMN(5);
  }
}
#undef COLUMN
#undef ROW
#undef LOAD

/* u = G g for one line of three filter taps. */
#define G3(g0, g1, g2, u0, u1, u2, u3, u4, u5)                               \
  do {                                                                      \
    const v128_t sixth_ = SPLAT(-1.0f / 6.0f);                              \
    const v128_t outer_ = ADD(g0, g2), q_ = ADD(MUL(SPLAT(0.25f), g0), g2); \
    const v128_t h_ = MUL(SPLAT(0.5f), g1);                                 \
    u0 = MUL(SPLAT(0.25f), g0);                                             \
    u1 = MUL(sixth_, ADD(outer_, g1));                                      \
    u2 = MUL(sixth_, SUB(outer_, g1));                                      \
    u3 = MUL(SPLAT(1.0f / 6.0f), ADD(q_, h_));                              \
    u4 = MUL(SPLAT(1.0f / 6.0f), SUB(q_, h_));                              \
    u5 = g2;                                                                \
  } while (0)

/* G g G^T for every (ci, co) pair of a [3][3][ci][co] filter into u[36][ci][co]. */
static void filter_transform(const float* f, float* u, int pairs) {
  for (int k = 0; k < pairs; k += 4) {
#define TAP(a, b) wasm_v128_load(f + (3 * (a) + (b)) * pairs + k)
    /* e = G g: 6 rows x 3 columns, a column at a time. */
    v128_t e00, e01, e02, e10, e11, e12, e20, e21, e22, e30, e31, e32, e40, e41, e42, e50, e51, e52;
    G3(TAP(0, 0), TAP(1, 0), TAP(2, 0), e00, e10, e20, e30, e40, e50);
    G3(TAP(0, 1), TAP(1, 1), TAP(2, 1), e01, e11, e21, e31, e41, e51);
    G3(TAP(0, 2), TAP(1, 2), TAP(2, 2), e02, e12, e22, e32, e42, e52);
#undef TAP
#define OUT(i, r0, r1, r2)                                                         \
  do {                                                                             \
    v128_t u0, u1, u2, u3, u4, u5;                                                 \
    G3(r0, r1, r2, u0, u1, u2, u3, u4, u5);                                        \
    wasm_v128_store(u + (6 * (i) + 0) * pairs + k, u0);                            \
    wasm_v128_store(u + (6 * (i) + 1) * pairs + k, u1);                            \
    wasm_v128_store(u + (6 * (i) + 2) * pairs + k, u2);                            \
    wasm_v128_store(u + (6 * (i) + 3) * pairs + k, u3);                            \
    wasm_v128_store(u + (6 * (i) + 4) * pairs + k, u4);                            \
    wasm_v128_store(u + (6 * (i) + 5) * pairs + k, u5);                            \
  } while (0)
    /* e G^T, a row at a time. */
    OUT(0, e00, e01, e02);
    OUT(1, e10, e11, e12);
    OUT(2, e20, e21, e22);
    OUT(3, e30, e31, e32);
    OUT(4, e40, e41, e42);
    OUT(5, e50, e51, e52);
#undef OUT
  }
}

/* o = A^T m for one line of six values. */
#define AT6(m0, m1, m2, m3, m4, m5, o0, o1, o2, o3)     \
  do {                                                \
    const v128_t s12_ = ADD(m1, m2), d12_ = SUB(m1, m2); \
    const v128_t s34_ = ADD(m3, m4), d34_ = SUB(m3, m4); \
    o0 = ADD(ADD(m0, s12_), s34_);                    \
    o1 = ADD(d12_, MUL(SPLAT(2.0f), d34_));           \
    o2 = ADD(s12_, MUL(SPLAT(4.0f), s34_));           \
    o3 = ADD(ADD(d12_, MUL(SPLAT(8.0f), d34_)), m5);  \
  } while (0)

/* A^T m A from row j of the block m[36][block][co] into tile t of y, dropping outputs past the
 * edge. */
static void output_transform(const Shape* s, const float* m, float* y, int block, int t, int j) {
  const int per_image = s->th * s->tw;
  const int n = t / per_image, r = t - n * per_image;
  const int oy = 4 * (r / s->tw), ox = 4 * (r - (r / s->tw) * s->tw);
  const int co = s->co, stride = PITCH(block, co);
  const int rows = s->h - oy < 4 ? s->h - oy : 4, cols = s->w - ox < 4 ? s->w - ox : 4;
  float* y0 = y + ((n * s->h + oy) * s->w + ox) * co;
  const float* in = m + j * co;
  for (int o = 0; o < co; o += 4) {
#define M(a, b) wasm_v128_load(in + (6 * (a) + (b)) * stride + o)
    /* e = A^T m: 4 rows x 6 columns, a column at a time. */
    v128_t e00, e01, e02, e03, e04, e05, e10, e11, e12, e13, e14, e15;
    v128_t e20, e21, e22, e23, e24, e25, e30, e31, e32, e33, e34, e35;
    AT6(M(0, 0), M(1, 0), M(2, 0), M(3, 0), M(4, 0), M(5, 0), e00, e10, e20, e30);
    AT6(M(0, 1), M(1, 1), M(2, 1), M(3, 1), M(4, 1), M(5, 1), e01, e11, e21, e31);
    AT6(M(0, 2), M(1, 2), M(2, 2), M(3, 2), M(4, 2), M(5, 2), e02, e12, e22, e32);
    AT6(M(0, 3), M(1, 3), M(2, 3), M(3, 3), M(4, 3), M(5, 3), e03, e13, e23, e33);
    AT6(M(0, 4), M(1, 4), M(2, 4), M(3, 4), M(4, 4), M(5, 4), e04, e14, e24, e34);
    AT6(M(0, 5), M(1, 5), M(2, 5), M(3, 5), M(4, 5), M(5, 5), e05, e15, e25, e35);
#undef M
#define STORE_ROW(i, r0, r1, r2, r3, r4, r5)                                  \
  if ((i) < rows) {                                                           \
    v128_t q0, q1, q2, q3;                                                    \
    AT6(r0, r1, r2, r3, r4, r5, q0, q1, q2, q3);                              \
    float* line = y0 + (i) * s->w * co + o;                                   \
    wasm_v128_store(line, q0);                                                \
    if (cols > 1) wasm_v128_store(line + co, q1);                             \
    if (cols > 2) wasm_v128_store(line + 2 * co, q2);                         \
    if (cols > 3) wasm_v128_store(line + 3 * co, q3);                         \
  }
    STORE_ROW(0, e00, e01, e02, e03, e04, e05);
    STORE_ROW(1, e10, e11, e12, e13, e14, e15);
    STORE_ROW(2, e20, e21, e22, e23, e24, e25);
    STORE_ROW(3, e30, e31, e32, e33, e34, e35);
#undef STORE_ROW
  }
}

/* Floats of scratch that conv3x3_winograd4 needs for these channel counts. */
__attribute__((export_name("winograd4_scratch_floats"))) int winograd4_scratch_floats(int ci, int co) {
  return 36 * (ci * co + PITCH(BLOCK, ci) + PITCH(BLOCK, co));
}

/*
 * y[n][h][w][co] = the 3x3 stride-1 convolution of x[n][h][w][ci] with f[3][3][ci][co], padded
 * by one on every side (tfjs's 'same'). ci and co multiples of 4.
 */
__attribute__((export_name("conv3x3_winograd4"))) void conv3x3_winograd4(
    const float* x, const float* f, float* y, float* scratch, int n, int h, int w, int ci, int co) {
  const Shape s = {n, h, w, ci, co, (h + 3) / 4, (w + 3) / 4};
  const int tiles = n * s.th * s.tw;
  float* u = scratch;
  float* v = u + 36 * ci * co;
  float* m = v + 36 * PITCH(BLOCK, ci);
  filter_transform(f, u, ci * co);
  for (int t0 = 0; t0 < tiles; t0 += BLOCK) {
    const int count = tiles - t0 < BLOCK ? tiles - t0 : BLOCK;
    for (int j = 0; j < count; j++) input_transform(&s, x, v, BLOCK, t0 + j, j);
    block_products(v, u, m, 36, PITCH(BLOCK, ci), PITCH(BLOCK, co), count, ci, co);
    for (int j = 0; j < count; j++) output_transform(&s, m, y, BLOCK, t0 + j, j);
  }
}

/*
 * The filter gradient by F(3x3, 4x4), the dual of the forward algorithm: for one line,
 * y = A^T [(G g) . (B^T d)] gives dw = G^T [(A dy) . (B^T d)] (the same trilinear form read the
 * other way), so a 4x4 tile of dy and its 6x6 patch of x (the forward pass's, transformed by
 * input_transform above) contribute 36 products per channel pair where F(3x3, 2x2) spends 64 on
 * the same four 2x2 tiles; the products are summed over all tiles first and G^T . G is applied
 * once per call. A = (A^T)^T is 6x4: rows (1 0 0 0), (1 1 1 1), (1 -1 1 -1), (1 2 4 8),
 * (1 -2 4 -8), (0 0 0 1).
 */

/* u = A g for one line of four values. */
#define A4(g0, g1, g2, g3, u0, u1, u2, u3, u4, u5)                      \
  do {                                                                  \
    const v128_t s02_ = ADD(g0, g2), s13_ = ADD(g1, g3);                \
    const v128_t t_ = ADD(g0, MUL(SPLAT(4.0f), g2));                    \
    const v128_t w_ = MUL(SPLAT(2.0f), ADD(g1, MUL(SPLAT(4.0f), g3)));  \
    u0 = g0;                                                            \
    u1 = ADD(s02_, s13_);                                               \
    u2 = SUB(s02_, s13_);                                               \
    u3 = ADD(t_, w_);                                                   \
    u4 = SUB(t_, w_);                                                   \
    u5 = g3;                                                            \
  } while (0)

/* A g A^T for the 4x4 tile t of dy (rows 4ty..4ty+3, columns 4tx..4tx+3, zero past the edge)
 * into row j of the block g[36][block][co], in input_transform's order (6 * row + column). */
static inline __attribute__((always_inline)) void gradient_transform(const Shape* s, const float* dy, float* gv, int block, int t, int j) {
  const int per_image = s->th * s->tw;
  const int n = t / per_image, r = t - n * per_image;
  const int oy = 4 * (r / s->tw), ox = 4 * (r - (r / s->tw) * s->tw);
  const int co = s->co, stride = PITCH(block, co), line = s->w * co;
  const int rows = s->h - oy < 4 ? s->h - oy : 4, cols = s->w - ox < 4 ? s->w - ox : 4;
  const float* p0 = dy + ((n * s->h + oy) * s->w + ox) * co;
  const float* p1 = rows > 1 ? p0 + line : 0;
  const float* p2 = rows > 2 ? p0 + 2 * line : 0;
  const float* p3 = rows > 3 ? p0 + 3 * line : 0;
  const int ok1 = cols > 1, ok2 = cols > 2, ok3 = cols > 3;
  float* out = gv + j * co;
  const v128_t zero = SPLAT(0.0f);
  for (int o = 0; o < co; o += 4) {
#define G(p, ok, col) ((p) && (ok) ? wasm_v128_load((p) + (col) * co + o) : zero)
    /* e = A g: 6 rows x 4 columns, a column at a time. */
    v128_t e00, e01, e02, e03, e10, e11, e12, e13, e20, e21, e22, e23;
    v128_t e30, e31, e32, e33, e40, e41, e42, e43, e50, e51, e52, e53;
    A4(G(p0, 1, 0), G(p1, 1, 0), G(p2, 1, 0), G(p3, 1, 0), e00, e10, e20, e30, e40, e50);
    A4(G(p0, ok1, 1), G(p1, ok1, 1), G(p2, ok1, 1), G(p3, ok1, 1), e01, e11, e21, e31, e41, e51);
    A4(G(p0, ok2, 2), G(p1, ok2, 2), G(p2, ok2, 2), G(p3, ok2, 2), e02, e12, e22, e32, e42, e52);
    A4(G(p0, ok3, 3), G(p1, ok3, 3), G(p2, ok3, 3), G(p3, ok3, 3), e03, e13, e23, e33, e43, e53);
#undef G
#define OUT(i, r0, r1, r2, r3)                                    \
  do {                                                            \
    v128_t u0, u1, u2, u3, u4, u5;                                \
    A4(r0, r1, r2, r3, u0, u1, u2, u3, u4, u5);                   \
    float* q = out + 6 * (i) * stride + o;                        \
    wasm_v128_store(q, u0);                                       \
    wasm_v128_store(q + stride, u1);                              \
    wasm_v128_store(q + 2 * stride, u2);                          \
    wasm_v128_store(q + 3 * stride, u3);                          \
    wasm_v128_store(q + 4 * stride, u4);                          \
    wasm_v128_store(q + 5 * stride, u5);                          \
  } while (0)
    /* e A^T, a row at a time. */
    OUT(0, e00, e01, e02, e03);
    OUT(1, e10, e11, e12, e13);
    OUT(2, e20, e21, e22, e23);
    OUT(3, e30, e31, e32, e33);
    OUT(4, e40, e41, e42, e43);
    OUT(5, e50, e51, e52, e53);
#undef OUT
  }
}

/* o = G^T m for one line of six values: G^T's rows are G's columns,
 * (1/4 -1/6 -1/6 1/24 1/24 0), (0 -1/6 1/6 1/12 -1/12 0), (0 -1/6 -1/6 1/6 1/6 1). */
#define GT6(m0, m1, m2, m3, m4, m5, o0, o1, o2)                                          \
  do {                                                                                  \
    const v128_t s12_ = ADD(m1, m2), s34_ = ADD(m3, m4);                                \
    o0 = ADD(SUB(MUL(SPLAT(0.25f), m0), MUL(SPLAT(1.0f / 6.0f), s12_)),                 \
             MUL(SPLAT(1.0f / 24.0f), s34_));                                            \
    o1 = ADD(MUL(SPLAT(1.0f / 6.0f), SUB(m2, m1)), MUL(SPLAT(1.0f / 12.0f), SUB(m3, m4))); \
    o2 = ADD(MUL(SPLAT(1.0f / 6.0f), SUB(s34_, s12_)), m5);                             \
  } while (0)

/* dw[3][3][ci][co] = G^T acc G for every pair of acc[36][ci][co]. */
static void filter_gradient_transform(const float* acc, float* dw, int pairs) {
  for (int k = 0; k < pairs; k += 4) {
#define M(a, b) wasm_v128_load(acc + (6 * (a) + (b)) * pairs + k)
    /* e = G^T m: 3 rows x 6 columns, a column at a time. */
    v128_t e00, e01, e02, e03, e04, e05, e10, e11, e12, e13, e14, e15, e20, e21, e22, e23, e24, e25;
    GT6(M(0, 0), M(1, 0), M(2, 0), M(3, 0), M(4, 0), M(5, 0), e00, e10, e20);
    GT6(M(0, 1), M(1, 1), M(2, 1), M(3, 1), M(4, 1), M(5, 1), e01, e11, e21);
    GT6(M(0, 2), M(1, 2), M(2, 2), M(3, 2), M(4, 2), M(5, 2), e02, e12, e22);
    GT6(M(0, 3), M(1, 3), M(2, 3), M(3, 3), M(4, 3), M(5, 3), e03, e13, e23);
    GT6(M(0, 4), M(1, 4), M(2, 4), M(3, 4), M(4, 4), M(5, 4), e04, e14, e24);
    GT6(M(0, 5), M(1, 5), M(2, 5), M(3, 5), M(4, 5), M(5, 5), e05, e15, e25);
#undef M
#define OUT(a, r0, r1, r2, r3, r4, r5)                            \
  do {                                                            \
    v128_t o0, o1, o2;                                            \
    GT6(r0, r1, r2, r3, r4, r5, o0, o1, o2);                      \
    wasm_v128_store(dw + (3 * (a) + 0) * pairs + k, o0);          \
    wasm_v128_store(dw + (3 * (a) + 1) * pairs + k, o1);          \
    wasm_v128_store(dw + (3 * (a) + 2) * pairs + k, o2);          \
  } while (0)
    /* e G, a row at a time. */
    OUT(0, e00, e01, e02, e03, e04, e05);
    OUT(1, e10, e11, e12, e13, e14, e15);
    OUT(2, e20, e21, e22, e23, e24, e25);
#undef OUT
  }
}

/* Tiles per block of the filter gradient: its V and G blocks are 36 x 16 x 64 floats each for 64
 * channels, as the forward pass's. */
#define FILTER_BLOCK BLOCK

/* Floats of scratch that conv3x3_winograd4_filter_grad needs for these channel counts. */
__attribute__((export_name("winograd4_filter_grad_scratch_floats"))) int winograd4_filter_grad_scratch_floats(
    int ci, int co) {
  return 36 * (ci * co + PITCH(FILTER_BLOCK, ci) + PITCH(FILTER_BLOCK, co));
}

/*
 * dw[a][b][i][o] = sum over n, y, x of x[n][y+a-1][x+b-1][i] * dy[n][y][x][o]: the filter
 * gradient of conv3x3_winograd4's convolution. ci and co multiples of 4.
 */
__attribute__((export_name("conv3x3_winograd4_filter_grad"))) void conv3x3_winograd4_filter_grad(
    const float* x, const float* dy, float* dw, float* scratch, int n, int h, int w, int ci, int co) {
  const Shape s = {n, h, w, ci, co, (h + 3) / 4, (w + 3) / 4};
  const int tiles = n * s.th * s.tw, block = FILTER_BLOCK;
  float* acc = scratch;
  float* v = acc + 36 * ci * co;
  float* g = v + 36 * PITCH(block, ci);
  for (int q = 0; q < 36 * ci * co; q++) acc[q] = 0.0f;
  for (int t0 = 0; t0 < tiles; t0 += block) {
    const int count = tiles - t0 < block ? tiles - t0 : block;
    for (int j = 0; j < count; j++) {
      input_transform(&s, x, v, block, t0 + j, j);
      gradient_transform(&s, dy, g, block, t0 + j, j);
    }
    for (int xi = 0; xi < 36; xi++) {
      tile_accumulate(v + xi * PITCH(block, ci), g + xi * PITCH(block, co), acc + xi * ci * co, count, ci, co);
    }
  }
  filter_gradient_transform(acc, dw, ci * co);
}
