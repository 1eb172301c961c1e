#include "ref.h"

/* One Philox round: two 32x32->64 multiplies, a permutation and key XORs. */
static void round_fn(uint32_t c[4], const uint32_t k[2])
{
    const uint64_t m0 = 0xD2511F53ull, m1 = 0xCD9E8D57ull;
    uint64_t a = m0 * c[0], b = m1 * c[2];
    uint32_t r[4] = {(uint32_t)(b >> 32) ^ c[1] ^ k[0], (uint32_t)b, (uint32_t)(a >> 32) ^ c[3] ^ k[1], (uint32_t)a};
    for (int i = 0; i < 4; i++) c[i] = r[i];
}

void ref_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
    uint32_t k[2] = {key[0], key[1]};
    round_fn(c, k);
    for (int r = 1; r < 10; r++) {
        k[0] += 0x9E3779B9u; /* golden ratio */
        k[1] += 0xBB67AE85u; /* sqrt(3) - 1 */
        round_fn(c, k);
    }
    for (int i = 0; i < 4; i++) out[i] = c[i];
}

uint32_t ref_philox_word(uint64_t seed, uint32_t stream, uint64_t index)
{
    uint32_t ctr[4] = {(uint32_t)(index / 4), (uint32_t)((index / 4) >> 32), stream, 0};
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    uint32_t out[4];
    ref_philox4x32_10(ctr, key, out);
    return out[index % 4];
}

float ref_philox_uniform(uint64_t seed, uint32_t stream, uint64_t index)
{
    return (float)((double)(ref_philox_word(seed, stream, index) >> 8) / 16777216.0);
}
