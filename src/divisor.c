/* Divisors prepared for the kernels' div_by (cl/index.clh): x / d as a
 * multiply-high and shifts, since vector units and GPUs have no integer
 * division. */
#include "divisor.h"

#include <stdint.h>

cl_uint4 clnn__divisor(cl_uint d)
{
    cl_uint4 v = {{d, 0, 0, 0}};
    if (d <= 1) return v; /* d = 1: div_by selects x; d = 0 is never a divisor */
    unsigned l = 0;
    while (l < 32 && ((uint64_t)1 << l) < d) l++; /* l = ceil(log2 d), 1..32 */
    /* magic = floor(2^32 (2^l - d) / d) + 1 < 2^32, shift = l - 1 */
    v.s[1] = (cl_uint)(((((uint64_t)1 << l) - d) << 32) / d + 1);
    v.s[2] = l - 1;
    return v;
}
