/* Stable LSD radix sort of fp32 keys, optionally carrying int32 values, on
 * order_key (cl/orderkey.clh: -inf < ... < -0.0 < +0.0 < ... < +inf < NaN),
 * or of int32 keys, either ascending or descending (KEY_ORDER below).
 * Keys move as their 32-bit patterns, so NaN payloads and the sign of zero
 * survive. 4 passes of 8-bit digits, least significant first (RADIX_BITS,
 * set by the host; 8 passes of 4 bits took twice the time on PoCL); each
 * pass is
 *   radix_count    one work-group per tile of `tile` consecutive elements:
 *                  the tile's RADIX-bin digit histogram, hist[d·ntiles + t];
 *   radix_scan     one work-group: exclusive prefix sum of hist in that
 *                  digit-major order, so hist[d·ntiles + t] becomes where
 *                  tile t's elements of digit d start in the output;
 *   radix_scatter  one work-group per tile: each element goes to that start
 *                  plus the number of same-digit elements before it in the
 *                  tile.
 * Inside a tile, lanes = min(TILE_LANES, ceil(len / 16)) virtual lanes
 * (TILE_LANES from LANES, a tunable -D parameter) each own a contiguous piece
 * of ceil(len / lanes) elements (the elements per lane);
 * work-items take lanes in turn, and lanes are ranked in order, so equal
 * digits keep their input order whatever LANES, the local size or the
 * device: the sort is stable and its output unique. Integer counts only.
 * Every barrier is reached by the whole work-group (no early return). */
#include "orderkey.clh"
#include "scan.clh"

#ifndef LANES
#define LANES 256
#endif
#ifndef RADIX_BITS
#define RADIX_BITS 8
#endif
#define RADIX (1u << RADIX_BITS)
/* Lanes of a tile: LANES · 16 / RADIX (LANES / 16 with 8-bit digits), so
 * that the RADIX x lanes counters take at most 16 KiB of local memory
 * whatever the digit width. */
#define TILE_LANES (LANES * 16u / RADIX > 0u ? LANES * 16u / RADIX : 1u)

/* The order (a -D variant): 0 fp32 ascending (order_key), 1 fp32
 * descending (NaNs first), 2 int32 ascending, 3 int32 descending. A
 * descending key is the ascending one's complement, so equal keys still keep
 * their input order (stable). */
#ifndef KEY_ORDER
#define KEY_ORDER 0
#endif
static inline uint sort_key(const uint b)
{
    const uint up = KEY_ORDER >= 2 ? b ^ 0x80000000u : order_key_bits(b);
    return (KEY_ORDER & 1) ? ~up : up;
}

#define DIGIT(bits, shift) ((sort_key(bits) >> (shift)) & (RADIX - 1u))

/* Virtual lanes of a tile of len elements: TILE_LANES, or fewer for a short
 * (last) tile so that each lane still gets at least about 16 elements. */
static inline uint tile_lanes(const uint len) { return min((uint)TILE_LANES, (len + 15u) / 16u); }

/* cnt[d·lanes + lane] = elements of digit d in the lane's piece of the tile. */
static inline __attribute__((always_inline))
void tile_counts(__global const uint *keys, const uint base, const uint len, const uint lanes, const uint shift,
                 __local uint *cnt)
{
    const uint lid = get_local_id(0), nl = get_local_size(0), per = (len + lanes - 1) / lanes;
    for (uint i = lid; i < RADIX * lanes; i += nl) cnt[i] = 0u;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint lane = lid; lane < lanes; lane += nl) {
        const uint end = min(len, (lane + 1) * per);
        for (uint i = min(len, lane * per); i < end; i++) cnt[DIGIT(keys[base + i], shift) * lanes + lane]++;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
}


__kernel void radix_count(__global const uint *keys, __global uint *hist, const uint n, const uint tile,
                          const uint ntiles, const uint shift)
{
    __local uint cnt[RADIX * TILE_LANES];
    const uint t = get_group_id(0), base = t * tile, len = min(tile, n - base), lanes = tile_lanes(len);
    tile_counts(keys, base, len, lanes, shift, cnt);
    for (uint d = get_local_id(0); d < RADIX; d += get_local_size(0)) {
        uint s = 0u;
        for (uint l = 0; l < lanes; l++) s += cnt[d * lanes + l];
        hist[d * ntiles + t] = s;
    }
}

__kernel void radix_scan(__global uint *hist, const uint m)
{
    __local uint part[SCAN_LANES];
    scan_global(hist, m, part);
}

/* vmode 0: keys only; 1: carry vals; 2: out_vals gets the element's input
 * index (argsort, first pass). */
__kernel void radix_scatter(__global const uint *keys, __global const int *vals, __global uint *out_keys,
                            __global int *out_vals, __global const uint *hist, const uint n, const uint tile,
                            const uint ntiles, const uint shift, const int vmode)
{
    __local uint cnt[RADIX * TILE_LANES];
    __local uint part[SCAN_LANES];
    __local uint off[RADIX];
    const uint t = get_group_id(0), base = t * tile, len = min(tile, n - base), lanes = tile_lanes(len);
    const uint lid = get_local_id(0), nl = get_local_size(0);
    tile_counts(keys, base, len, lanes, shift, cnt);
    /* cnt becomes, in digit-major order, the number of the tile's elements
     * that go before the lane's first element of each digit (plus smaller digits) */
    scan_local(cnt, RADIX * lanes, part);
    for (uint d = lid; d < RADIX; d += nl) off[d] = hist[d * ntiles + t] - cnt[d * lanes];
    barrier(CLK_LOCAL_MEM_FENCE);
    const uint per = (len + lanes - 1) / lanes;
    for (uint lane = lid; lane < lanes; lane += nl) {
        const uint end = min(len, (lane + 1) * per);
        for (uint i = min(len, lane * per); i < end; i++) {
            const uint k = keys[base + i], d = DIGIT(k, shift);
            const uint pos = off[d] + cnt[d * lanes + lane]++;
            out_keys[pos] = k;
            if (vmode == 1) out_vals[pos] = vals[base + i];
            else if (vmode == 2) out_vals[pos] = (int)(base + i);
        }
    }
}
