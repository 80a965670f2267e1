/*
 * The 2x2 max-pool's rule for routing a window's gradient, shared by maxPoolGrad.c and
 * batchNormPool.c so that the two cannot drift apart: over a window's four values (four channels
 * each) in row-major order, a later position takes over only if it is strictly greater than the
 * maximum so far, or if that maximum is NaN. WINDOW_WINNERS declares `best`, the maximum, and
 * m00, m01, m10, m11, all ones in the lanes where that position won (exactly one per lane). A
 * macro rather than a function: four masks handed back would need the C stack, which this module
 * does not have.
 */
#ifndef DEML_MAX_POOL_WINDOW_H
#define DEML_MAX_POOL_WINDOW_H

#include <wasm_simd128.h>

#define WINDOW_WINNERS(v00, v01, v10, v11)                                              \
  v128_t best = (v00);                                                                  \
  v128_t take = wasm_v128_or(wasm_f32x4_gt((v01), best), wasm_f32x4_ne(best, best));    \
  best = wasm_v128_bitselect((v01), best, take);                                        \
  v128_t m01 = take;                                                                    \
  v128_t m00 = wasm_v128_not(take);                                                     \
  take = wasm_v128_or(wasm_f32x4_gt((v10), best), wasm_f32x4_ne(best, best));           \
  best = wasm_v128_bitselect((v10), best, take);                                        \
  v128_t m10 = take;                                                                    \
  m00 = wasm_v128_andnot(m00, take);                                                    \
  m01 = wasm_v128_andnot(m01, take);                                                    \
  take = wasm_v128_or(wasm_f32x4_gt((v11), best), wasm_f32x4_ne(best, best));           \
  best = wasm_v128_bitselect((v11), best, take);                                        \
  const v128_t m11 = take;                                                              \
  m00 = wasm_v128_andnot(m00, take);                                                    \
  m01 = wasm_v128_andnot(m01, take);                                                    \
  m10 = wasm_v128_andnot(m10, take);

#endif
