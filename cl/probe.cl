/* Probes for defects of an OpenCL implementation that clnn must work around
 * (src/device_probe.c). */

/* One work-item counts n loop iterations, reading a buffer so the compiler
 * cannot fold the loop into c = n. Mesa 22.3's llvmpipe (rusticl) stops a
 * work-item's loops after 65535 iterations in total, so the count comes back
 * short there (docs/portability.md). */
__kernel void loop_count(__global const uint *ones, __global uint *out, const uint n)
{
    uint c = 0;
    for (uint i = 0; i < n; i++) c += ones[i & 1u];
    out[0] = c;
}
