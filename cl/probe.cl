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

/* Work that takes measurable time on any device, for comparing a kernel's
 * profiling timestamps with the host clock: Mesa 22.3's rusticl reports
 * queued 0, submit 1, start 2, end 3 for every command. */
__kernel void timed_work(__global float *x, const uint n, const uint rounds)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    float v = (float)i; /* written, never read: x needs no initial contents */
    for (uint k = 0; k < rounds; k++) v = v * 0.999f + 0.5f;
    x[i] = v;
}
