/* Tensors and the first kernels (fill, copy, scale, axpy) against host
 * arithmetic, on sizes that are not multiples of any local size; wrapping a
 * caller's cl_mem; adopting a caller's context and queue. */
#include "check.h"

#include <math.h>
#include <time.h>

/* 4099 (prime) spans many work-groups with a ragged tail; 1000003 is the large case. */
static const size_t sizes[] = {1, 7, 4099, 1000003};

static void round_trip(clnn_context *ctx, size_t n)
{
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    int *ia = malloc(n * sizeof *ia), *ib = malloc(n * sizeof *ib);
    REQUIRE(a && b && ia && ib, "host memory");
    test_fill_uniform(a, n, (unsigned)n, -3, 3);
    for (size_t i = 0; i < n; i++) ia[i] = (int)(i * 2654435761u);
    clnn_tensor *t = NULL, *ti = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &t));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 1, &n, &ti));
    CHECK_OK(ctx, clnn_tensor_upload(t, a, n * sizeof *a));
    CHECK_OK(ctx, clnn_tensor_download(t, b, n * sizeof *b));
    CHECK(memcmp(a, b, n * sizeof *a) == 0, "float round trip of %zu elements", n);
    CHECK_OK(ctx, clnn_tensor_upload(ti, ia, n * sizeof *ia));
    CHECK_OK(ctx, clnn_tensor_download(ti, ib, n * sizeof *ib));
    CHECK(memcmp(ia, ib, n * sizeof *ia) == 0, "int round trip of %zu elements", n);

    /* fill */
    CHECK_OK(ctx, clnn_tensor_fill(t, 2.5f));
    CHECK_OK(ctx, clnn_tensor_download(t, b, n * sizeof *b));
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += b[i] != 2.5f;
    CHECK(bad == 0, "fill: %zu of %zu wrong", bad, n);
    CHECK_OK(ctx, clnn_tensor_fill(ti, -7.0f));
    CHECK_OK(ctx, clnn_tensor_download(ti, ib, n * sizeof *ib));
    bad = 0;
    for (size_t i = 0; i < n; i++) bad += ib[i] != -7;
    CHECK(bad == 0, "int fill: %zu of %zu wrong", bad, n);

    /* copy, scale, axpy: y = 0.5 * (2a) + a, in float like the device */
    clnn_tensor *y = NULL;
    size_t shape2[2] = {1, n};
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 2, shape2, &y));
    CHECK_OK(ctx, clnn_tensor_upload(t, a, n * sizeof *a));
    CHECK_OK(ctx, clnn_tensor_copy(y, t));
    CHECK_OK(ctx, clnn_scale(y, 2.0f));
    CHECK_OK(ctx, clnn_axpy(0.5f, y, t)); /* t = a + 0.5*2a = 2a */
    CHECK_OK(ctx, clnn_tensor_download(t, b, n * sizeof *b));
    bad = 0;
    for (size_t i = 0; i < n; i++) bad += fabsf(b[i] - 2.0f * a[i]) > 1e-6f * fabsf(a[i]) + 1e-7f;
    CHECK(bad == 0, "copy/scale/axpy: %zu of %zu wrong", bad, n);
    CHECK_OK(ctx, clnn_tensor_download(y, b, n * sizeof *b));
    bad = 0;
    for (size_t i = 0; i < n; i++) bad += b[i] != 2.0f * a[i];
    CHECK(bad == 0, "scale: %zu of %zu wrong", bad, n);
    clnn_tensor_release(y);
    clnn_tensor_release(t);
    clnn_tensor_release(ti);
    free(a); free(b); free(ia); free(ib);
}

static void wrap(clnn_context *ctx)
{
    cl_context clctx;
    cl_command_queue q;
    CHECK_OK(ctx, clnn_context_cl(ctx, &clctx, &q, NULL));
    cl_int err;
    float host[13];
    for (int i = 0; i < 13; i++) host[i] = (float)i;
    cl_mem buf = clCreateBuffer(clctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof host, host, &err);
    REQUIRE(buf, "clCreateBuffer");
    size_t shape[1] = {13};
    clnn_tensor *t = NULL;
    CHECK_OK(ctx, clnn_tensor_wrap(ctx, buf, CLNN_FLOAT32, 1, shape, &t));
    CHECK(clnn_tensor_buffer(t) == buf, "wrapped buffer is the caller's");
    CHECK_OK(ctx, clnn_scale(t, 3.0f));
    clnn_tensor_release(t); /* must not free the caller's buffer */
    cl_uint refs = 0;
    CHECK(clGetMemObjectInfo(buf, CL_MEM_REFERENCE_COUNT, sizeof refs, &refs, NULL) == CL_SUCCESS && refs >= 1,
          "caller's buffer is still alive after the tensor is released (refs %u)", refs);
    float out[13];
    clEnqueueReadBuffer(q, buf, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL);
    int ok = 1;
    for (int i = 0; i < 13; i++) ok &= out[i] == 3.0f * (float)i;
    CHECK(ok, "kernel wrote through the wrapped buffer");
    size_t too_big[1] = {14};
    CHECK(clnn_tensor_wrap(ctx, buf, CLNN_FLOAT32, 1, too_big, &t) == CLNN_ERR_SHAPE, "buffer too small");
    clReleaseMemObject(buf);
}

static void adopt(void)
{
    clnn_context *own = test_context();
    clnn_device_info info;
    clnn_context_device(own, &info);
    cl_device_id dev;
    clnn_context_cl(own, NULL, NULL, &dev);
    cl_int err;
    cl_context c = clCreateContext(NULL, 1, &dev, NULL, NULL, &err);
    cl_command_queue q = clCreateCommandQueue(c, dev, 0, &err);
    REQUIRE(c && q, "caller's context");
    cl_uint refs_before = 0, refs = 0;
    clGetContextInfo(c, CL_CONTEXT_REFERENCE_COUNT, sizeof refs_before, &refs_before, NULL);
    clnn_context *ctx = NULL;
    CHECK_OK(NULL, clnn_context_create_from_cl(c, q, dev, &ctx));
    clnn_device_info got;
    clnn_context_device(ctx, &got);
    CHECK(strcmp(got.key, info.key) == 0, "adopted context describes the same device");
    size_t n = 5;
    clnn_tensor *t = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &t));
    CHECK_OK(ctx, clnn_tensor_fill(t, 4.0f));
    CHECK_OK(ctx, clnn_finish(ctx));
    float out[5];
    CHECK_OK(ctx, clnn_tensor_download(t, out, sizeof out));
    CHECK(out[0] == 4.0f && out[4] == 4.0f, "kernel on the adopted queue");
    CHECK(clnn_profiler_start(ctx) == CLNN_ERR_UNSUPPORTED, "no profiling on a queue without it");
    /* a tensor of one context is refused by another */
    clnn_tensor *other = NULL;
    CHECK_OK(own, clnn_tensor_create(own, CLNN_FLOAT32, 1, &n, &other));
    CHECK(clnn_axpy(1.0f, other, t) == CLNN_ERR_INVALID_ARGUMENT, "tensor from another context");
    CHECK(strstr(clnn_last_error(ctx), "another context") != NULL, "message: %s", clnn_last_error(ctx));
    clnn_tensor_release(other);
    clnn_tensor_release(t);
    clnn_context_release(ctx);
    /* The count is a snapshot: rusticl drops the references of released
     * buffers and programs a little later, on its own thread (seen as 4
     * instead of 2 under load), so wait for it a bounded while (2 s). */
    for (int tries = 0; tries < 200; tries++) {
        clGetContextInfo(c, CL_CONTEXT_REFERENCE_COUNT, sizeof refs, &refs, NULL);
        if (refs == refs_before) break;
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    CHECK(refs == refs_before, "caller's context references restored (%u, was %u)", refs, refs_before);
    clReleaseCommandQueue(q);
    clReleaseContext(c);
    clnn_context_release(own);
}

/* Whether the device's profiling timestamps look real, measured here
 * independently of clnn: a copy of 64 MiB on clnn's queue timed by its event
 * and by the host clock (Mesa 22.3's rusticl reports 1 ns for every command). */
static int device_clock_real(clnn_context *ctx)
{
    cl_context c;
    cl_command_queue q;
    CHECK_OK(ctx, clnn_context_cl(ctx, &c, &q, NULL));
    size_t bytes = (size_t)64 << 20;
    cl_int err;
    cl_mem a = clCreateBuffer(c, CL_MEM_READ_WRITE, bytes, NULL, &err);
    cl_mem b = clCreateBuffer(c, CL_MEM_READ_WRITE, bytes, NULL, &err);
    REQUIRE(a && b, "two 64 MiB buffers");
    float zero = 0.0f;
    clEnqueueFillBuffer(q, a, &zero, sizeof zero, 0, bytes, 0, NULL, NULL);
    clFinish(q);
    struct timespec t0, t1;
    cl_event ev;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    REQUIRE(clEnqueueCopyBuffer(q, a, b, 0, 0, bytes, 0, NULL, &ev) == CL_SUCCESS, "copy");
    clWaitForEvents(1, &ev);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    cl_ulong s = 0, e = 0;
    clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof s, &s, NULL);
    clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof e, &e, NULL);
    clReleaseEvent(ev);
    clReleaseMemObject(a);
    clReleaseMemObject(b);
    double wall_ns = 1e9 * (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec);
    return wall_ns < 1e6 || (double)(e > s ? e - s : 0) * 100.0 >= wall_ns;
}

static void profiler(clnn_context *ctx)
{
    size_t n = test_small() ? 4099 : 1 << 20; /* any size has a nonzero time */
    clnn_tensor *t = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &t));
    if (!device_clock_real(ctx)) { /* the profiler must refuse, saying why */
        CHECK(clnn_profiler_start(ctx) == CLNN_ERR_UNSUPPORTED && strstr(clnn_last_error(ctx), "not real"),
              "a device without real timestamps: the profiler refuses (%s)", clnn_last_error(ctx));
        test_skip("profiler sums: this device's profiling timestamps are not real");
        clnn_tensor_release(t);
        return;
    }
    CHECK_OK(ctx, clnn_profiler_start(ctx));
    CHECK_OK(ctx, clnn_tensor_fill(t, 1.0f));
    CHECK_OK(ctx, clnn_scale(t, 2.0f));
    double secs = 0;
    size_t launches = 0;
    CHECK_OK(ctx, clnn_profiler_stop(ctx, &secs, &launches));
    CHECK(launches == 2 && secs > 0, "profiler saw %zu launches, %g s", launches, secs);
    CHECK(clnn_profiler_stop(ctx, &secs, &launches) == CLNN_ERR_INVALID_ARGUMENT, "stop without start");
    clnn_tensor_release(t);
}

static void reshape(clnn_context *ctx)
{
    size_t s[3] = {2, 3, 4}, s2[2] = {6, 4}, bad[2] = {5, 5};
    clnn_tensor *t = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 3, s, &t));
    CHECK_OK(ctx, clnn_tensor_reshape(t, 2, s2));
    int nd = 0;
    size_t got[4];
    CHECK_OK(ctx, clnn_tensor_shape(t, &nd, got));
    CHECK(nd == 2 && got[0] == 6 && got[1] == 4 && got[2] == 1, "reshape to [6, 4]");
    CHECK(clnn_tensor_reshape(t, 2, bad) == CLNN_ERR_SHAPE, "reshape to another count");
    CHECK_OK(ctx, clnn_tensor_shape(t, &nd, got));
    CHECK(nd == 2 && got[0] == 6, "a rejected reshape changes nothing");
    clnn_tensor_release(t);
}

int main(void)
{
    clnn_context *ctx = test_context();
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i] < 100000 || test_large("tensor round trip, fill, copy, scale, axpy of 1000003 elements"))
            round_trip(ctx, sizes[i]);
    wrap(ctx);
    profiler(ctx);
    reshape(ctx);
    clnn_context_release(ctx);
    adopt();
    return check_summary();
}
