/* Every public function given NULL or bad arguments returns an error status
 * and a message naming the function, and changes nothing. */
#include "check.h"

#include <float.h>
#include <math.h>
#include <stdint.h>

/* The context and tensors the groups of checks below share: t holds data. */
static const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
static clnn_context *ctx;
static clnn_tensor *t, *ti, *small;
static size_t shape[2] = {3, 4}, n12 = 12;
static float data[12];

/* library-level calls (message in the thread's last error) */
static void library_errors(void)
{
    clnn_device_info info;
    size_t idx;
    EXPECT_FAIL(NULL, INVAL, "clnn_device_count", clnn_device_count(NULL));
    EXPECT_FAIL(NULL, INVAL, "clnn_device_info_get", clnn_device_info_get(0, NULL));
    EXPECT_FAIL(NULL, CLNN_ERR_DEVICE_NOT_FOUND, "clnn_device_info_get", clnn_device_info_get(100000, &info));
    EXPECT_FAIL(NULL, INVAL, "clnn_device_select", clnn_device_select("0", NULL));
    EXPECT_FAIL(NULL, CLNN_ERR_DEVICE_NOT_FOUND, "clnn_device_select", clnn_device_select("xyz-none", &idx));
    EXPECT_FAIL(NULL, INVAL, "clnn_context_create", clnn_context_create(NULL, NULL));
    EXPECT_FAIL(NULL, INVAL, "clnn_context_create_from_cl", clnn_context_create_from_cl(NULL, NULL, NULL, NULL));
    clnn_context *adopted = NULL;
    EXPECT_FAIL(NULL, INVAL, "clnn_context_create_from_cl", clnn_context_create_from_cl(NULL, NULL, NULL, &adopted));
    CHECK(adopted == NULL, "no context on failure");
    EXPECT_FAIL(NULL, INVAL, "clnn_context_device", clnn_context_device(NULL, &info));
    EXPECT_FAIL(ctx, INVAL, "clnn_context_device", clnn_context_device(ctx, NULL));
    EXPECT_FAIL(NULL, INVAL, "clnn_context_cl", clnn_context_cl(NULL, NULL, NULL, NULL));
    EXPECT_FAIL(NULL, INVAL, "clnn_finish", clnn_finish(NULL));
    EXPECT_FAIL(NULL, INVAL, "clnn_context_cache_stats", clnn_context_cache_stats(NULL, NULL));
    EXPECT_FAIL(NULL, INVAL, "clnn_context_build_all", clnn_context_build_all(NULL));
    EXPECT_FAIL(NULL, INVAL, "clnn_profiler_start", clnn_profiler_start(NULL));
    EXPECT_FAIL(NULL, INVAL, "clnn_profiler_stop", clnn_profiler_stop(NULL, NULL, NULL));
    EXPECT_FAIL(ctx, INVAL, "clnn_profiler_stop", clnn_profiler_stop(ctx, NULL, NULL));
}

/* tensor creation: NULLs, ndim, zero and overflowing sizes, bad dtype */
static void creation_errors(void)
{
    size_t zero[2] = {3, 0}, huge[2] = {SIZE_MAX / 2, 4};
    clnn_device_info info;
    clnn_tensor *made = NULL;
    EXPECT_FAIL(NULL, INVAL, "clnn_tensor_create", clnn_tensor_create(NULL, CLNN_FLOAT32, 2, shape, &made));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_create", clnn_tensor_create(ctx, CLNN_FLOAT32, 2, shape, NULL));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_create", clnn_tensor_create(ctx, CLNN_FLOAT32, 2, NULL, &made));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_create", clnn_tensor_create(ctx, CLNN_FLOAT32, 0, shape, &made));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_create", clnn_tensor_create(ctx, CLNN_FLOAT32, 5, shape, &made));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_create", clnn_tensor_create(ctx, CLNN_FLOAT32, -1, shape, &made));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_create", clnn_tensor_create(ctx, CLNN_FLOAT32, 2, zero, &made));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_create", clnn_tensor_create(ctx, CLNN_FLOAT32, 2, huge, &made));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_create", clnn_tensor_create(ctx, (clnn_dtype)7, 2, shape, &made));
    CHECK(made == NULL, "no tensor on failure");
    /* larger than the device's max allocation, but within 32-bit element counts */
    clnn_context_device(ctx, &info);
    size_t too_much[2] = {(size_t)(info.max_alloc_size / 4 / 65536) + 1, 65536};
    if (too_much[0] * too_much[1] <= UINT32_MAX)
        EXPECT_FAIL(ctx, CLNN_ERR_OUT_OF_MEMORY, "clnn_tensor_create",
                    clnn_tensor_create(ctx, CLNN_FLOAT32, 2, too_much, &made));
    EXPECT_FAIL(NULL, INVAL, "clnn_tensor_wrap", clnn_tensor_wrap(NULL, NULL, CLNN_FLOAT32, 1, &n12, &made));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_wrap", clnn_tensor_wrap(ctx, NULL, CLNN_FLOAT32, 1, &n12, &made));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_wrap",
                clnn_tensor_wrap(ctx, clnn_tensor_buffer(t), CLNN_FLOAT32, 1, &n12, NULL));
}

/* shape queries and reshape */
static void shape_errors(void)
{
    clnn_tensor *not_made = (clnn_tensor *)0;
    size_t count;
    EXPECT_FAIL(NULL, INVAL, "clnn_tensor_shape", clnn_tensor_shape(NULL, NULL, NULL));
    CHECK(clnn_tensor_count(not_made) == 0 && clnn_tensor_buffer(not_made) == NULL, "getters accept NULL");
    EXPECT_FAIL(NULL, INVAL, "clnn_tensor_reshape", clnn_tensor_reshape(NULL, 1, &n12));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_reshape", clnn_tensor_reshape(t, 1, NULL));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_reshape", clnn_tensor_reshape(t, 9, shape));
    count = 13;
    EXPECT_FAIL(ctx, SHAPE, "clnn_tensor_reshape", clnn_tensor_reshape(t, 1, &count));
}

/* transfers: exact byte counts only */
static void transfer_errors(void)
{
    float out[12];
    EXPECT_FAIL(NULL, INVAL, "clnn_tensor_upload", clnn_tensor_upload(NULL, data, sizeof data));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_upload", clnn_tensor_upload(t, NULL, sizeof data));
    EXPECT_FAIL(ctx, SHAPE, "clnn_tensor_upload", clnn_tensor_upload(t, data, 40));
    CHECK(strstr(clnn_last_error(ctx), "40 bytes given, tensor holds 48") != NULL, "message: %s",
          clnn_last_error(ctx));
    EXPECT_FAIL(ctx, SHAPE, "clnn_tensor_upload", clnn_tensor_upload(t, data, 52));
    EXPECT_FAIL(NULL, INVAL, "clnn_tensor_download", clnn_tensor_download(NULL, out, sizeof out));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_download", clnn_tensor_download(t, NULL, sizeof out));
    EXPECT_FAIL(ctx, SHAPE, "clnn_tensor_download", clnn_tensor_download(t, out, 4));
}

/* kernels: NULLs, dtype, count, non-finite scalars */
static void kernel_errors(void)
{
    EXPECT_FAIL(NULL, INVAL, "clnn_tensor_fill", clnn_tensor_fill(NULL, 1.0f));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_fill", clnn_tensor_fill(ti, 1.5f));
    EXPECT_FAIL(NULL, INVAL, "clnn_tensor_copy", clnn_tensor_copy(NULL, t));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_copy", clnn_tensor_copy(t, NULL));
    EXPECT_FAIL(ctx, SHAPE, "clnn_tensor_copy", clnn_tensor_copy(t, small));
    EXPECT_FAIL(ctx, SHAPE, "clnn_tensor_copy", clnn_tensor_copy(t, ti));
    EXPECT_FAIL(NULL, INVAL, "clnn_scale", clnn_scale(NULL, 1.0f));
    EXPECT_FAIL(ctx, INVAL, "clnn_scale", clnn_scale(t, NAN));
    EXPECT_FAIL(ctx, INVAL, "clnn_scale", clnn_scale(t, INFINITY));
    EXPECT_FAIL(ctx, SHAPE, "clnn_scale", clnn_scale(ti, 2.0f)); /* dtype mismatch */
    EXPECT_FAIL(NULL, INVAL, "clnn_axpy", clnn_axpy(1.0f, t, NULL));
    EXPECT_FAIL(ctx, INVAL, "clnn_axpy", clnn_axpy(1.0f, NULL, t));
    EXPECT_FAIL(ctx, SHAPE, "clnn_axpy", clnn_axpy(1.0f, small, t));
    EXPECT_FAIL(ctx, INVAL, "clnn_axpy", clnn_axpy(NAN, t, t));
}

/* overflow: products that wrap size_t (2^32 * 2^32 == 0 mod 2^64), exceed
 * 32-bit element counts, or byte counts of SIZE_MAX */
static void overflow_errors(void)
{
    clnn_tensor *made = NULL;
    float out[12];
    size_t wraps[2] = {(size_t)1 << 32, (size_t)1 << 32}, just_over[2] = {65536, 65536},
           wraps4[4] = {65536, 65536, 65536, 65536}, max_dim[1] = {SIZE_MAX};
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_create", clnn_tensor_create(ctx, CLNN_FLOAT32, 2, wraps, &made));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_create", clnn_tensor_create(ctx, CLNN_FLOAT32, 2, just_over, &made));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_create", clnn_tensor_create(ctx, CLNN_INT32, 4, wraps4, &made));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_create", clnn_tensor_create(ctx, CLNN_FLOAT32, 1, max_dim, &made));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_reshape", clnn_tensor_reshape(t, 2, wraps));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_reshape", clnn_tensor_reshape(t, 4, wraps4));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_wrap",
                clnn_tensor_wrap(ctx, clnn_tensor_buffer(t), CLNN_FLOAT32, 2, wraps, &made));
    EXPECT_FAIL(ctx, SHAPE, "clnn_tensor_upload", clnn_tensor_upload(t, data, SIZE_MAX));
    EXPECT_FAIL(ctx, SHAPE, "clnn_tensor_download", clnn_tensor_download(t, out, SIZE_MAX));
    CHECK(made == NULL, "no tensor on failure");
}

/* mismatched devices: tensors and buffers of a second context */
static void context_mismatch_errors(void)
{
    clnn_tensor *made = NULL;
    clnn_context *ctx2 = test_context();
    clnn_tensor *t2 = NULL;
    CHECK_OK(ctx2, clnn_tensor_create(ctx2, CLNN_FLOAT32, 2, shape, &t2));
    float data2[12], out2[12];
    for (int i = 0; i < 12; i++) data2[i] = -1.0f - (float)i;
    CHECK_OK(ctx2, clnn_tensor_upload(t2, data2, sizeof data2));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_copy", clnn_tensor_copy(t, t2));
    CHECK(strstr(clnn_last_error(ctx), "another context") != NULL, "message: %s", clnn_last_error(ctx));
    EXPECT_FAIL(ctx2, INVAL, "clnn_tensor_copy", clnn_tensor_copy(t2, t));
    EXPECT_FAIL(ctx, INVAL, "clnn_axpy", clnn_axpy(1.0f, t2, t));
    EXPECT_FAIL(ctx2, INVAL, "clnn_axpy", clnn_axpy(1.0f, t, t2));
    EXPECT_FAIL(ctx, INVAL, "clnn_tensor_wrap",
                clnn_tensor_wrap(ctx, clnn_tensor_buffer(t2), CLNN_FLOAT32, 2, shape, &made));
    CHECK(strstr(clnn_last_error(ctx), "another cl_context") != NULL, "message: %s", clnn_last_error(ctx));
    CHECK(made == NULL, "no tensor on failure");
    CHECK_OK(ctx2, clnn_tensor_download(t2, out2, sizeof out2));
    CHECK(memcmp(out2, data2, sizeof data2) == 0, "rejected cross-context calls left the other tensor unchanged");
    CHECK(clnn_tensor_context(t2) == ctx2 && clnn_tensor_context(t) == ctx && clnn_tensor_context(NULL) == NULL,
          "clnn_tensor_context names each tensor's context");
    clnn_tensor_release(t2);
    clnn_context_release(ctx2);
}

/* non-finite and out-of-range hyper-parameters, as a table: each row is a
 * call that must be rejected with CLNN_ERR_INVALID_ARGUMENT */
static void bad_scalar_errors(void)
{
    /* non-finite and out-of-range hyper-parameters, as a table: each row is a
     * call that must be rejected with CLNN_ERR_INVALID_ARGUMENT */
    enum { FILL_F32_INT, SCALE, AXPY, UNIFORM, NORMAL };
    static const struct bad_scalar {
        int op;
        float a, b;
        const char *fn;
    } bad_scalars[] = {
        {FILL_F32_INT, NAN, 0, "clnn_tensor_fill"},         /* int32 tensor: not an integer */
        {FILL_F32_INT, INFINITY, 0, "clnn_tensor_fill"},
        {FILL_F32_INT, 2147483648.0f, 0, "clnn_tensor_fill"}, /* 2^31: out of int32 range */
        {FILL_F32_INT, -2147483904.0f, 0, "clnn_tensor_fill"},
        {FILL_F32_INT, 0.5f, 0, "clnn_tensor_fill"},
        {SCALE, NAN, 0, "clnn_scale"},
        {SCALE, -INFINITY, 0, "clnn_scale"},
        {AXPY, INFINITY, 0, "clnn_axpy"},
        {AXPY, -NAN, 0, "clnn_axpy"},
        {UNIFORM, NAN, 1, "clnn_tensor_random_uniform"},
        {UNIFORM, 0, INFINITY, "clnn_tensor_random_uniform"},
        {UNIFORM, -INFINITY, 0, "clnn_tensor_random_uniform"},
        {UNIFORM, 1, 0, "clnn_tensor_random_uniform"},               /* lo > hi */
        {UNIFORM, -FLT_MAX, FLT_MAX, "clnn_tensor_random_uniform"}, /* hi - lo overflows */
        {NORMAL, NAN, 1, "clnn_tensor_random_normal"},
        {NORMAL, 0, INFINITY, "clnn_tensor_random_normal"},
        {NORMAL, 0, NAN, "clnn_tensor_random_normal"},
        {NORMAL, 0, -1e-30f, "clnn_tensor_random_normal"},          /* negative stddev */
    };
    for (size_t i = 0; i < sizeof bad_scalars / sizeof bad_scalars[0]; i++) {
        const struct bad_scalar *b = &bad_scalars[i];
        clnn_status st = b->op == FILL_F32_INT ? clnn_tensor_fill(ti, b->a)
                         : b->op == SCALE      ? clnn_scale(t, b->a)
                         : b->op == AXPY       ? clnn_axpy(b->a, t, t)
                         : b->op == UNIFORM    ? clnn_tensor_random_uniform(t, 1, 0, b->a, b->b)
                                               : clnn_tensor_random_normal(t, 1, 0, b->a, b->b);
        CHECK(st == INVAL, "row %zu (%s %g %g) returned %s", i, b->fn, (double)b->a, (double)b->b,
              clnn_status_string(st));
        CHECK(strstr(clnn_last_error(ctx), b->fn) != NULL, "row %zu: message '%s'", i, clnn_last_error(ctx));
    }
}

/* the failure record of libraries built on clnn (libclnn_mpi) */
static void set_last_error_errors(void)
{
    const char *no_fmt = NULL;
    EXPECT_FAIL(ctx, INVAL, "clnn_set_last_error", clnn_set_last_error(ctx, CLNN_ERR_IO, no_fmt, 1));
    EXPECT_FAIL(ctx, INVAL, "clnn_set_last_error", clnn_set_last_error(ctx, CLNN_OK, "fine"));
    EXPECT_FAIL(NULL, INVAL, "clnn_set_last_error", clnn_set_last_error(NULL, (clnn_status)-11, "past the codes"));
    CHECK(clnn_set_last_error(ctx, CLNN_ERR_COMM, "lib_call: rank %d is gone", 3) == CLNN_ERR_COMM, "returned");
    CHECK(strcmp(clnn_last_error(ctx), "lib_call: rank 3 is gone") == 0, "context message '%s'", clnn_last_error(ctx));
    CHECK(strcmp(clnn_last_error(NULL), "lib_call: rank 3 is gone") == 0, "thread message '%s'",
          clnn_last_error(NULL));
    CHECK(strstr(clnn_status_string(CLNN_ERR_COMM), "CLNN_ERR_COMM") != NULL, "status string");
}

int main(void)
{
    ctx = test_context();
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 2, shape, &t));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 2, shape, &ti));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, shape, &small));
    float out[12];
    for (int i = 0; i < 12; i++) data[i] = (float)i;
    CHECK_OK(ctx, clnn_tensor_upload(t, data, sizeof data));

    library_errors();
    creation_errors();
    shape_errors();
    transfer_errors();
    kernel_errors();
    overflow_errors();
    context_mismatch_errors();
    bad_scalar_errors();
    set_last_error_errors();

    /* nothing above changed t */
    CHECK_OK(ctx, clnn_tensor_download(t, out, sizeof out));
    CHECK(memcmp(out, data, sizeof data) == 0, "rejected calls left the tensor unchanged");
    int nd;
    size_t got[4];
    clnn_tensor_shape(t, &nd, got);
    CHECK(nd == 2 && got[0] == 3 && got[1] == 4, "rejected calls left the shape unchanged");

    CHECK(strcmp(clnn_status_string(CLNN_OK), "CLNN_OK: success") == 0, "status string");
    CHECK(strstr(clnn_status_string((clnn_status)-100), "unknown") != NULL, "unknown status string");
    CHECK(clnn_version()[0] >= '0' && clnn_version()[0] <= '9', "version '%s'", clnn_version());

    clnn_tensor_release(t);
    clnn_tensor_release(ti);
    clnn_tensor_release(small);
    clnn_tensor_release(NULL);
    clnn_context_release(ctx);
    clnn_context_release(NULL);
    return check_summary();
}
