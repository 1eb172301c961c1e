/* Fuzz target: argument validation of the public tensor API. The input is a
 * little program: a sequence of calls to clnn_tensor_create / _wrap /
 * _reshape / _upload / _download / _fill / _copy, clnn_scale, clnn_axpy and
 * the random fills, with arbitrary ndim, shapes (zero, huge, overflowing),
 * byte counts, dtypes, scalars (NaN, infinities, extremes), NULLs and tensors
 * of a second context. Every call's status is compared with the outcome the
 * header's contract predicts, computed here independently; a rejected call
 * must leave a message naming the function and change nothing (no output
 * handle written, shape and contents as before, checked against a host copy).
 *
 * Resource bound: a call the contract says succeeds is skipped when it would
 * allocate more than 1 MiB (the fuzzer would otherwise spend its time in
 * memset); calls that must fail are always made, whatever size they claim. */
#include <clnn/clnn.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 6
#define BIG_BYTES (1u << 20)
#define MIRROR_MAX 4096 /* elements kept in the host copy */

typedef struct slot {
    clnn_tensor *t;
    cl_mem wrapped; /* the buffer of a wrapped tensor (ours to release) */
    int other_ctx;  /* made in the second context */
    clnn_dtype dtype;
    int ndim;
    size_t shape[4], count;
    int mirror_valid;
    uint32_t mirror[MIRROR_MAX];
} slot;

static clnn_context *ctx, *ctx2;
static clnn_device_info info;
static slot slots[SLOTS];

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;

static uint8_t u8(reader *r)
{
    if (!r->n) return 0;
    r->n--;
    return *r->p++;
}
static uint32_t u32(reader *r)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v = v << 8 | u8(r);
    return v;
}
static uint64_t u64(reader *r) { return (uint64_t)u32(r) << 32 | u32(r); }

static void fail(const char *what, const char *call)
{
    fprintf(stderr, "contract violated: %s in %s (last error: %s)\n", what, call, clnn_last_error(NULL));
    __builtin_trap(); /* SIGILL: libFuzzer reports it and saves the input */
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    /* PoCL's CPU driver installs a SIGFPE handler that leaves libFuzzer's
     * crash handlers unable to report (the input would not be saved). */
    setenv("POCL_SIGFPE_HANDLER", "0", 0);
    if (clnn_context_create(NULL, &ctx) != CLNN_OK || clnn_context_create(NULL, &ctx2) != CLNN_OK) {
        fprintf(stderr, "fuzz_tensor_api: no OpenCL device: %s\n", clnn_last_error(NULL));
        abort();
    }
    clnn_context_device(ctx, &info);
    /* build the tensor kernels once, outside the timed inputs */
    if (clnn_context_build_all(ctx) != CLNN_OK || clnn_context_build_all(ctx2) != CLNN_OK) abort();
    return 0;
}

/* ---- decoding of arguments: mostly valid-looking, often extreme */

static size_t read_dim(reader *r)
{
    static const size_t special[] = {0, 1, 65536, 65537, (size_t)1 << 31, UINT32_MAX, (size_t)UINT32_MAX + 1,
                                     (size_t)1 << 32, SIZE_MAX / 4 + 1, SIZE_MAX};
    uint8_t sel = u8(r);
    switch (sel % 8) {
    case 0: return 0;
    case 5: return u32(r) & 0xffff;
    case 6: return (size_t)u64(r);
    case 7: return special[u8(r) % (sizeof special / sizeof special[0])];
    default: return 1 + u8(r) % 16;
    }
}

static int read_ndim(reader *r) { return (int)(u8(r) % 9) - 2; } /* -2..6 */

static float read_scalar(reader *r)
{
    static const float special[] = {NAN, INFINITY, -INFINITY, FLT_MAX, -FLT_MAX, 0.0f, -0.0f, 1e-45f,
                                    2147483520.0f, 2147483648.0f, -2147483648.0f, -2147483904.0f, 0.5f, -7.0f};
    uint8_t sel = u8(r);
    switch (sel % 4) {
    case 0: return (float)(int8_t)u8(r) / 4.0f;
    case 1: {
        uint32_t bits = u32(r);
        float f;
        memcpy(&f, &bits, sizeof f);
        return f;
    }
    case 2: return special[u8(r) % (sizeof special / sizeof special[0])];
    default: return (float)(int32_t)u32(r);
    }
}

/* The reference: a shape is valid when 1 <= ndim <= 4, every dimension is at
 * least 1 and the element count fits in 32 bits (kernels index with uint). */
static int shape_valid(int ndim, const size_t *shape, size_t *count)
{
    if (!shape || ndim < 1 || ndim > 4) return 0;
    uint64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 1 || shape[i] > UINT32_MAX) return 0;
        n *= shape[i]; /* both factors <= 2^32: no 64-bit overflow before the check */
        if (n > UINT32_MAX) return 0;
    }
    *count = (size_t)n;
    return 1;
}

static int dtype_valid(int d) { return d == CLNN_FLOAT32 || d == CLNN_INT32; }

/* ---- checks shared by every call */

static void check_status(clnn_status st, int expect_ok, const char *fn)
{
    if (expect_ok && st != CLNN_OK) fail("a valid call was rejected", fn);
    if (!expect_ok && st == CLNN_OK) fail("an invalid call was accepted", fn);
    if (!expect_ok && !strstr(clnn_last_error(NULL), fn)) fail("the message does not name the function", fn);
}

static slot *pick(reader *r) { return &slots[u8(r) % SLOTS]; }

static void slot_clear(slot *s)
{
    clnn_tensor_release(s->t);
    if (s->wrapped) clReleaseMemObject(s->wrapped);
    s->t = NULL;
    s->wrapped = NULL;
    s->mirror_valid = 0;
}

static void slot_set(slot *s, clnn_tensor *t, cl_mem wrapped, int other, clnn_dtype dtype, int ndim,
                     const size_t *shape, size_t count)
{
    slot_clear(s);
    s->t = t;
    s->wrapped = wrapped;
    s->other_ctx = other;
    s->dtype = dtype;
    s->ndim = ndim;
    for (int i = 0; i < 4; i++) s->shape[i] = i < ndim ? shape[i] : 1;
    s->count = count;
    s->mirror_valid = 0;
}

/* The tensor's shape and (when mirrored) contents are what we last set. */
static void check_unchanged(slot *s, const char *after)
{
    if (!s->t) return;
    int nd = 0;
    size_t shape[CLNN_MAX_DIMS];
    if (clnn_tensor_shape(s->t, &nd, shape) != CLNN_OK || nd != s->ndim ||
        memcmp(shape, s->shape, sizeof shape) != 0 || clnn_tensor_count(s->t) != s->count)
        fail("a rejected call changed the shape", after);
    if (!s->mirror_valid) return;
    uint32_t got[MIRROR_MAX];
    if (clnn_tensor_download(s->t, got, s->count * 4) != CLNN_OK) fail("download of a valid tensor failed", after);
    if (memcmp(got, s->mirror, s->count * 4) != 0) fail("tensor contents differ from the host copy", after);
}

/* ---- the calls */

static void op_create(reader *r)
{
    slot *s = pick(r);
    int other = u8(r) & 1, dtype = u8(r) % 3, ndim = read_ndim(r), null_shape = u8(r) % 16 == 0;
    size_t shape[4];
    for (int i = 0; i < 4; i++) shape[i] = read_dim(r);
    size_t count = 0;
    int valid = dtype_valid(dtype) && shape_valid(ndim, null_shape ? NULL : shape, &count);
    int expect_ok = valid && count * 4 <= info.max_alloc_size;
    if (expect_ok && count * 4 > BIG_BYTES) return;
    clnn_tensor *sentinel = (clnn_tensor *)&slots[0], *out = sentinel;
    clnn_status st = clnn_tensor_create(other ? ctx2 : ctx, (clnn_dtype)dtype, ndim, null_shape ? NULL : shape, &out);
    check_status(st, expect_ok, "clnn_tensor_create");
    if (!expect_ok) {
        if (out != sentinel) fail("output handle written on failure", "clnn_tensor_create");
        if (st != (valid ? CLNN_ERR_OUT_OF_MEMORY : CLNN_ERR_INVALID_ARGUMENT))
            fail("wrong status", "clnn_tensor_create");
        return;
    }
    slot_set(s, out, NULL, other, (clnn_dtype)dtype, ndim, shape, count);
}

static void op_wrap(reader *r)
{
    slot *s = pick(r);
    size_t bytes = 4 * (1 + (size_t)u8(r)); /* the caller's buffer: 4..1024 bytes */
    int dtype = u8(r) % 3, ndim = read_ndim(r), null_buffer = u8(r) % 16 == 0;
    size_t shape[4];
    for (int i = 0; i < 4; i++) shape[i] = read_dim(r);
    cl_context clctx;
    clnn_context_cl(ctx, &clctx, NULL, NULL);
    cl_int err;
    cl_mem buf = clCreateBuffer(clctx, CL_MEM_READ_WRITE, bytes, NULL, &err);
    if (!buf) abort();
    size_t count = 0;
    int expect_ok = !null_buffer && dtype_valid(dtype) && shape_valid(ndim, shape, &count) && count * 4 <= bytes;
    clnn_tensor *sentinel = (clnn_tensor *)&slots[0], *out = sentinel;
    clnn_status st = clnn_tensor_wrap(ctx, null_buffer ? NULL : buf, (clnn_dtype)dtype, ndim, shape, &out);
    check_status(st, expect_ok, "clnn_tensor_wrap");
    if (!expect_ok) {
        if (out != sentinel) fail("output handle written on failure", "clnn_tensor_wrap");
        clReleaseMemObject(buf);
        return;
    }
    slot_set(s, out, buf, 0, (clnn_dtype)dtype, ndim, shape, count);
}

static void op_reshape(reader *r)
{
    slot *s = pick(r);
    int ndim = read_ndim(r);
    size_t shape[4];
    for (int i = 0; i < 4; i++) shape[i] = read_dim(r);
    size_t count = 0;
    int expect_ok = s->t && shape_valid(ndim, shape, &count) && count == s->count;
    check_status(clnn_tensor_reshape(s->t, ndim, shape), expect_ok, "clnn_tensor_reshape");
    if (expect_ok) {
        s->ndim = ndim;
        for (int i = 0; i < 4; i++) s->shape[i] = i < ndim ? shape[i] : 1;
    }
    check_unchanged(s, "clnn_tensor_reshape");
}

/* A byte count near the right one, or anything. */
static size_t read_bytes(reader *r, const slot *s)
{
    size_t exact = s->t ? s->count * 4 : 48;
    switch (u8(r) % 6) {
    case 0: return exact + 4;
    case 1: return exact ? exact - 1 : 0;
    case 2: return u32(r);
    case 3: return SIZE_MAX;
    default: return exact;
    }
}

/* A transfer's arguments: the tensor, a byte count, a NULL pointer or not,
 * and a host buffer of exactly `bytes` (capped at BIG_BYTES): if an invalid
 * count were accepted, the runtime would run past the buffer and ASan would
 * stop there. Returns 0 when the call is skipped (valid but too large). */
typedef struct transfer {
    slot *s;
    size_t bytes, have;
    int null_ptr, expect_ok;
    uint8_t *buf;
} transfer;

static int transfer_begin(reader *r, transfer *x)
{
    x->s = pick(r);
    x->bytes = read_bytes(r, x->s);
    x->null_ptr = u8(r) % 16 == 0;
    x->expect_ok = x->s->t && !x->null_ptr && x->bytes == x->s->count * 4;
    if (x->expect_ok && x->bytes > BIG_BYTES) return 0;
    x->have = x->bytes < BIG_BYTES ? x->bytes : BIG_BYTES;
    x->buf = malloc(x->have ? x->have : 1);
    if (!x->buf) abort();
    return 1;
}

static void op_upload(reader *r)
{
    transfer x;
    if (!transfer_begin(r, &x)) return;
    slot *s = x.s;
    for (size_t i = 0; i < x.have; i++) x.buf[i] = (uint8_t)(i * 131u + u8(r));
    check_status(clnn_tensor_upload(s->t, x.null_ptr ? NULL : x.buf, x.bytes), x.expect_ok, "clnn_tensor_upload");
    if (x.expect_ok) {
        s->mirror_valid = s->count <= MIRROR_MAX;
        if (s->mirror_valid) memcpy(s->mirror, x.buf, x.bytes);
    }
    free(x.buf);
    check_unchanged(s, "clnn_tensor_upload");
}

static void op_download(reader *r)
{
    transfer x;
    if (!transfer_begin(r, &x)) return;
    memset(x.buf, 0xAB, x.have);
    check_status(clnn_tensor_download(x.s->t, x.null_ptr ? NULL : x.buf, x.bytes), x.expect_ok,
                 "clnn_tensor_download");
    if (x.expect_ok && x.s->mirror_valid && memcmp(x.buf, x.s->mirror, x.bytes) != 0)
        fail("downloaded contents differ from the host copy", "clnn_tensor_download");
    if (!x.expect_ok)
        for (size_t i = 0; i < x.have; i++)
            if (x.buf[i] != 0xAB) fail("a rejected download wrote to the destination", "clnn_tensor_download");
    free(x.buf);
}

static void op_fill(reader *r)
{
    slot *s = pick(r);
    float v = read_scalar(r);
    /* int32 tensors take integral values representable as int32 */
    int expect_ok = s->t && (s->dtype == CLNN_FLOAT32 ||
                             (v == floorf(v) && v >= -2147483648.0f && v < 2147483648.0f));
    check_status(clnn_tensor_fill(s->t, v), expect_ok, "clnn_tensor_fill");
    if (expect_ok) {
        uint32_t word;
        if (s->dtype == CLNN_FLOAT32) {
            memcpy(&word, &v, 4);
        } else {
            int32_t iv = (int32_t)v;
            memcpy(&word, &iv, 4);
        }
        s->mirror_valid = s->count <= MIRROR_MAX && !isnan(v); /* NaN payloads may change */
        for (size_t i = 0; s->mirror_valid && i < s->count; i++) s->mirror[i] = word;
    }
    check_unchanged(s, "clnn_tensor_fill");
}

/* Tensors of the second context count as "another context" for ctx's ops. */
static int same_ctx(const slot *a, const slot *b) { return a->other_ctx == b->other_ctx; }

static void op_copy(reader *r)
{
    slot *d = pick(r), *s = pick(r);
    int expect_ok = d->t && s->t && same_ctx(d, s) && d->dtype == s->dtype && d->count == s->count;
    check_status(clnn_tensor_copy(d->t, s->t), expect_ok, "clnn_tensor_copy");
    if (expect_ok && d != s) {
        d->mirror_valid = s->mirror_valid;
        if (s->mirror_valid) memcpy(d->mirror, s->mirror, s->count * 4);
    }
    check_unchanged(d, "clnn_tensor_copy");
    check_unchanged(s, "clnn_tensor_copy");
}

static void op_scale(reader *r)
{
    slot *s = pick(r);
    float a = read_scalar(r);
    int expect_ok = s->t && s->dtype == CLNN_FLOAT32 && isfinite(a);
    check_status(clnn_scale(s->t, a), expect_ok, "clnn_scale");
    if (expect_ok) s->mirror_valid = 0;
    check_unchanged(s, "clnn_scale");
}

static void op_axpy(reader *r)
{
    slot *x = pick(r), *y = pick(r);
    float a = read_scalar(r);
    int expect_ok = x->t && y->t && same_ctx(x, y) && x->dtype == CLNN_FLOAT32 && y->dtype == CLNN_FLOAT32 &&
                    x->count == y->count && isfinite(a);
    check_status(clnn_axpy(a, x->t, y->t), expect_ok, "clnn_axpy");
    if (expect_ok) y->mirror_valid = 0;
    check_unchanged(x, "clnn_axpy");
    check_unchanged(y, "clnn_axpy");
}

static void op_random(reader *r)
{
    slot *s = pick(r);
    int normal = u8(r) & 1;
    uint64_t seed = u64(r);
    uint32_t stream = u32(r);
    float a = read_scalar(r), b = read_scalar(r);
    int ok_args = isfinite(a) && isfinite(b) &&
                  (normal ? b >= 0 : a <= b && isfinite(b - a)); /* uniform: hi - lo must be finite too */
    int expect_ok = s->t && s->dtype == CLNN_FLOAT32 && ok_args;
    const char *fn = normal ? "clnn_tensor_random_normal" : "clnn_tensor_random_uniform";
    clnn_status st = normal ? clnn_tensor_random_normal(s->t, seed, stream, a, b)
                            : clnn_tensor_random_uniform(s->t, seed, stream, a, b);
    check_status(st, expect_ok, fn);
    if (expect_ok) s->mirror_valid = 0;
    check_unchanged(s, fn);
}

static void op_release(reader *r) { slot_clear(pick(r)); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static void (*const ops[])(reader *) = {op_create, op_wrap,  op_reshape, op_upload, op_download, op_fill,
                                            op_copy,   op_scale, op_axpy,    op_random, op_release};
    reader r = {data, size};
    for (int steps = 0; r.n > 0 && steps < 64; steps++) ops[u8(&r) % (sizeof ops / sizeof ops[0])](&r);
    for (int i = 0; i < SLOTS; i++) slot_clear(&slots[i]);
    return 0;
}
