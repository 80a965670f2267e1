/*
 * The register tiles of the kernels' inner products, shared by filterGradient.c, stridedConv.c,
 * winograd.c and winograd4.c (the last two also share tile_multiply and tile_accumulate, below):
 * c[r][0..w-1] += a_r * b[0..w-1] for r = 0..3, where the four a_r are four rows of a matrix or
 * four channels of one row, and b is 4 or 8 consecutive floats.
 *
 * Macros over named accumulators (c00..c31 for 4x8, c0v..c3v for 4x4), not functions over
 * arrays: an array clang could not keep in registers would need the C stack, which this module
 * does not have (its memory is tfjs's heap).
 */
#ifndef DEML_TILES_H
#define DEML_TILES_H
#include <wasm_simd128.h>

/* acc += a * b. The module is built twice (scripts/build-kernels.mjs): with relaxed SIMD, as one
 * fused multiply-add (12-33% faster on every kernel's inner products here: the products are bound
 * by arithmetic, and a fused step is one instruction where a multiply and an add are two), and
 * without it, as a multiply and an add, for runtimes that lack relaxed SIMD and for
 * DEML_RELAXED_SIMD=0 (nativeKernels.ts). The two round differently in the last bit; each is
 * deterministic on a given machine (V8 emits a fused step where the CPU has FMA, else both). */
#ifdef __wasm_relaxed_simd__
#define MAC4(acc, a, b) acc = wasm_f32x4_relaxed_madd(a, b, acc)
#else
#define MAC4(acc, a, b) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(a, b))
#endif

/* 4x8: rows of c start at d, d + ld, d + 2ld, d + 3ld. */
#define TILE4X8_ZERO                                                                      \
  v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00,         \
         c21 = c00, c30 = c00, c31 = c00
#define TILE4X8_LOAD(d, ld)                                                               \
  v128_t c00 = wasm_v128_load(d), c01 = wasm_v128_load((d) + 4);                           \
  v128_t c10 = wasm_v128_load((d) + (ld)), c11 = wasm_v128_load((d) + (ld) + 4);           \
  v128_t c20 = wasm_v128_load((d) + 2 * (ld)), c21 = wasm_v128_load((d) + 2 * (ld) + 4);   \
  v128_t c30 = wasm_v128_load((d) + 3 * (ld)), c31 = wasm_v128_load((d) + 3 * (ld) + 4)
/* One step: b at bp (8 floats), the four a_r at p0..p3 (splatted). */
#define TILE4X8_STEP(bp, p0, p1, p2, p3)                                                  \
  do {                                                                                    \
    const v128_t b0_ = wasm_v128_load(bp), b1_ = wasm_v128_load((bp) + 4);                \
    v128_t a_ = wasm_v128_load32_splat(p0);                                               \
    MAC4(c00, a_, b0_);                                                                   \
    MAC4(c01, a_, b1_);                                                                   \
    a_ = wasm_v128_load32_splat(p1);                                                      \
    MAC4(c10, a_, b0_);                                                                   \
    MAC4(c11, a_, b1_);                                                                   \
    a_ = wasm_v128_load32_splat(p2);                                                      \
    MAC4(c20, a_, b0_);                                                                   \
    MAC4(c21, a_, b1_);                                                                   \
    a_ = wasm_v128_load32_splat(p3);                                                      \
    MAC4(c30, a_, b0_);                                                                   \
    MAC4(c31, a_, b1_);                                                                   \
  } while (0)
#define TILE4X8_STORE(d, ld)                                                              \
  do {                                                                                    \
    wasm_v128_store(d, c00), wasm_v128_store((d) + 4, c01);                               \
    wasm_v128_store((d) + (ld), c10), wasm_v128_store((d) + (ld) + 4, c11);               \
    wasm_v128_store((d) + 2 * (ld), c20), wasm_v128_store((d) + 2 * (ld) + 4, c21);       \
    wasm_v128_store((d) + 3 * (ld), c30), wasm_v128_store((d) + 3 * (ld) + 4, c31);       \
  } while (0)

/* 4x4: the same with 4 floats of b. */
#define TILE4X4_ZERO v128_t c0v = wasm_f32x4_splat(0.0f), c1v = c0v, c2v = c0v, c3v = c0v
#define TILE4X4_LOAD(d, ld)                                                               \
  v128_t c0v = wasm_v128_load(d), c1v = wasm_v128_load((d) + (ld));                        \
  v128_t c2v = wasm_v128_load((d) + 2 * (ld)), c3v = wasm_v128_load((d) + 3 * (ld))
#define TILE4X4_STEP(bp, p0, p1, p2, p3)                                                  \
  do {                                                                                    \
    const v128_t b_ = wasm_v128_load(bp);                                                 \
    MAC4(c0v, wasm_v128_load32_splat(p0), b_);                                            \
    MAC4(c1v, wasm_v128_load32_splat(p1), b_);                                            \
    MAC4(c2v, wasm_v128_load32_splat(p2), b_);                                            \
    MAC4(c3v, wasm_v128_load32_splat(p3), b_);                                            \
  } while (0)
#define TILE4X4_STORE(d, ld)                                                              \
  do {                                                                                    \
    wasm_v128_store(d, c0v), wasm_v128_store((d) + (ld), c1v);                            \
    wasm_v128_store((d) + 2 * (ld), c2v), wasm_v128_store((d) + 3 * (ld), c3v);           \
  } while (0)

/* c[rows][nc] = a[rows][k] b[k][nc] for rows a multiple of 4 and nc of 4, in 4x8 tiles: the
 * products of the Winograd kernels, one per transform point (winograd.c, winograd4.c). */
static inline void tile_multiply(const float* a, const float* b, float* c, int rows, int k, int nc) {
  const int nc8 = nc & ~7;
  for (int r = 0; r < rows; r += 4) {
    const float* a0 = a + r * k;
    const float* a1 = a0 + k;
    const float* a2 = a1 + k;
    const float* a3 = a2 + k;
    float* c0 = c + r * nc;
    for (int o = 0; o < nc8; o += 8) {
      TILE4X8_ZERO;
      const float* bp = b + o;
      for (int q = 0; q < k; q++, bp += nc) TILE4X8_STEP(bp, a0 + q, a1 + q, a2 + q, a3 + q);
      TILE4X8_STORE(c0 + o, nc);
    }
    if (nc8 < nc) { /* the last 4 columns */
      TILE4X4_ZERO;
      const float* bp = b + nc8;
      for (int q = 0; q < k; q++, bp += nc) TILE4X4_STEP(bp, a0 + q, a1 + q, a2 + q, a3 + q);
      TILE4X4_STORE(c0 + nc8, nc);
    }
  }
}

/* Floats from one transform point to the next in a block of the Winograd kernels (their v, m and
 * the filter gradients' g): the block's rows plus one cache line. A tile's transforms touch every
 * point; at a power-of-two stride (16 tiles x 16 channels x 4 bytes = 1 KB in F(4x4, 3x3)) the 36
 * points fell in 4 of the L1 cache's 64 sets, 36 lines competing for 32 places, and the transforms
 * took longer than the products. The extra line moves each point to other sets: 11-15% off the
 * F(4x4, 3x3) kernels on the generator's layers. */
#define PITCH(block, c) ((block) * (c) + 16)

/* A forward block of the Winograd kernels: m[xi] = v[xi] u[xi] for each of the `points` transform
 * points, v[xi] (at v + xi * vpitch) holding `count` transformed tiles of ci channels and m[xi] (at
 * m + xi * mpitch) their products. The rows that round the block up to a multiple of 4 are computed,
 * never stored: they are zeroed first so that they hold no stale NaN or denormal. */
static inline void block_products(float* v, const float* u, float* m, int points, int vpitch, int mpitch,
                                  int count, int ci, int co) {
  const int rows = (count + 3) & ~3;
  for (int xi = 0; xi < points; xi++) {
    for (int q = count * ci; q < rows * ci; q++) v[xi * vpitch + q] = 0.0f;
  }
  for (int xi = 0; xi < points; xi++) {
    tile_multiply(v + xi * vpitch, u + xi * ci * co, m + xi * mpitch, rows, ci, co);
  }
}

/* acc[ci][co] += a[rows][ci]^T b[rows][co]: a Winograd filter gradient's sum over a block's
 * tiles, one transform point at a time, in 4x8 tiles (winograd.c, winograd4.c). */
static inline void tile_accumulate(const float* a, const float* b, float* acc, int rows, int ci, int co) {
  const int co8 = co & ~7;
  for (int i = 0; i < ci; i += 4) {
    float* d0 = acc + i * co;
    for (int o = 0; o < co8; o += 8) {
      TILE4X8_LOAD(d0 + o, co);
      const float* ap = a + i;
      const float* bp = b + o;
      for (int q = 0; q < rows; q++, ap += ci, bp += co) TILE4X8_STEP(bp, ap, ap + 1, ap + 2, ap + 3);
      TILE4X8_STORE(d0 + o, co);
    }
    if (co8 < co) { /* the last 4 columns */
      TILE4X4_LOAD(d0 + co8, co);
      const float* ap = a + i;
      const float* bp = b + co8;
      for (int q = 0; q < rows; q++, ap += ci, bp += co) TILE4X4_STEP(bp, ap, ap + 1, ap + 2, ap + 3);
      TILE4X4_STORE(d0 + co8, co);
    }
  }
}

#endif
