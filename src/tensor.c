/* Tensors: shapes, buffers, upload/download, wrapping a caller's cl_mem. */
#include "internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t clnn__dtype_size(clnn_dtype dtype) { (void)dtype; return 4; } /* fp32 and int32 */

static int dtype_valid(clnn_dtype d) { return d == CLNN_FLOAT32 || d == CLNN_INT32; }

const char *clnn__shape_str(const clnn_tensor *t, char *buf, size_t len)
{
    int off = snprintf(buf, len, "[");
    for (int i = 0; i < t->ndim && off > 0 && (size_t)off < len; i++)
        off += snprintf(buf + off, len - (size_t)off, i ? ", %zu" : "%zu", t->shape[i]);
    if (off > 0 && (size_t)off < len) snprintf(buf + off, len - (size_t)off, "]");
    return buf;
}

clnn_status clnn__shape_count(clnn_context *ctx, const char *fn, int ndim, const size_t *shape,
                              size_t elem_size, size_t *count)
{
    CHECK_ARG(ctx, shape != NULL, "%s: shape is NULL", fn);
    CHECK_ARG(ctx, ndim >= 1 && ndim <= CLNN_MAX_DIMS, "%s: ndim is %d, must be 1..%d", fn, ndim, CLNN_MAX_DIMS);
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        CHECK_ARG(ctx, shape[i] >= 1, "%s: shape[%d] is %zu, every dimension must be at least 1", fn, i,
                  shape[i]);
        /* Kernels index with 32-bit unsigned counts: cap elements there. */
        if (shape[i] > UINT32_MAX / n || n * shape[i] > SIZE_MAX / elem_size)
            return clnn__fail(ctx, CLNN_ERR_INVALID_ARGUMENT,
                              "%s: shape overflows (more than %u elements)", fn, (unsigned)UINT32_MAX);
        n *= shape[i];
    }
    *count = n;
    return CLNN_OK;
}

clnn_status clnn__check_tensor(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t)
{
    CHECK_ARG(ctx, t != NULL, "%s: %s is NULL", fn, name);
    CHECK_ARG(ctx, t->ctx == ctx, "%s: %s belongs to another context", fn, name);
    return CLNN_OK;
}

static clnn_status tensor_init(clnn_context *ctx, const char *fn, clnn_dtype dtype, int ndim,
                               const size_t *shape, clnn_tensor **out, clnn_tensor **t)
{
    CHECK_ARG(ctx, out != NULL, "%s: out is NULL", fn);
    CHECK_ARG(ctx, dtype_valid(dtype), "%s: dtype %d is not a clnn_dtype", fn, (int)dtype);
    size_t count;
    TRY(clnn__shape_count(ctx, fn, ndim, shape, clnn__dtype_size(dtype), &count));
    clnn_tensor *n = calloc(1, sizeof *n);
    if (!n) return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    n->ctx = ctx;
    n->dtype = dtype;
    n->ndim = ndim;
    for (int i = 0; i < ndim; i++) n->shape[i] = shape[i];
    n->count = count;
    *t = n;
    return CLNN_OK;
}

clnn_status clnn_tensor_create(clnn_context *ctx, clnn_dtype dtype, int ndim, const size_t *shape,
                               clnn_tensor **out)
{
    CLNN_ENTRY(ctx);
    clnn_tensor *t;
    TRY(tensor_init(ctx, fn, dtype, ndim, shape, out, &t));
    size_t bytes = t->count * clnn__dtype_size(dtype);
    if (bytes > ctx->info.max_alloc_size) {
        free(t);
        return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY,
                          "%s: %zu bytes exceed the device's largest allocation (%llu bytes)", fn, bytes,
                          ctx->info.max_alloc_size);
    }
    cl_int err;
    t->buffer = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, bytes, NULL, &err);
    if (!t->buffer) {
        free(t);
        return clnn__fail_cl(ctx, fn, "clCreateBuffer", err);
    }
    clnn__mem_track(ctx, t->buffer, bytes);
    t->owned = 1;
    t->root = t->buffer;
    *out = t;
    return CLNN_OK;
}

clnn_status clnn_tensor_wrap(clnn_context *ctx, cl_mem buffer, clnn_dtype dtype, int ndim, const size_t *shape,
                             clnn_tensor **out)
{
    CLNN_ENTRY(ctx);
    CHECK_ARG(ctx, buffer != NULL, "%s: buffer is NULL", fn);
    cl_context bctx = NULL;
    size_t bsize = 0;
    cl_int err = clGetMemObjectInfo(buffer, CL_MEM_CONTEXT, sizeof bctx, &bctx, NULL);
    CHECK_ARG(ctx, err == CL_SUCCESS, "%s: buffer is not a valid cl_mem (%s)", fn, clnn__cl_error_name(err));
    CHECK_ARG(ctx, bctx == ctx->context, "%s: buffer belongs to another cl_context", fn);
    clGetMemObjectInfo(buffer, CL_MEM_SIZE, sizeof bsize, &bsize, NULL);
    clnn_tensor *t;
    TRY(tensor_init(ctx, fn, dtype, ndim, shape, out, &t));
    size_t bytes = t->count * clnn__dtype_size(dtype);
    if (bsize < bytes) {
        free(t);
        return clnn__fail(ctx, CLNN_ERR_SHAPE, "%s: buffer holds %zu bytes, the shape needs %zu", fn, bsize, bytes);
    }
    t->buffer = buffer;
    t->owned = 0;
    /* a sub-buffer aliases its parent's bytes: remember where (OpenCL 1.2
     * sub-buffers are made from plain buffers only, so one level) */
    cl_mem parent = NULL;
    size_t offset = 0;
    if (clGetMemObjectInfo(buffer, CL_MEM_ASSOCIATED_MEMOBJECT, sizeof parent, &parent, NULL) == CL_SUCCESS && parent &&
        clGetMemObjectInfo(buffer, CL_MEM_OFFSET, sizeof offset, &offset, NULL) == CL_SUCCESS) {
        t->root = parent;
        t->root_offset = offset;
    } else {
        t->root = buffer;
    }
    *out = t;
    return CLNN_OK;
}

clnn_status clnn__check_disjoint(clnn_context *ctx, const char *fn, const clnn_tensor *const *outs,
                                 const char *const *out_names, size_t nout, const clnn_tensor *const *ins,
                                 const char *const *in_names, size_t nin)
{
    for (size_t o = 0; o < nout; o++) {
        if (!outs[o]) continue;
        for (size_t i = 0; i < nin; i++)
            CHECK_ARG(ctx, !ins[i] || !clnn__alias(outs[o], ins[i]), "%s: %s shares memory with the input %s", fn,
                      out_names[o], in_names[i]);
        for (size_t p = 0; p < o; p++)
            CHECK_ARG(ctx, !outs[p] || !clnn__alias(outs[o], outs[p]), "%s: the outputs %s and %s share memory", fn,
                      out_names[p], out_names[o]);
    }
    return CLNN_OK;
}

int clnn__alias(const clnn_tensor *a, const clnn_tensor *b)
{
    if (a->buffer == b->buffer) return 1;
    if (a->root != b->root) return 0;
    size_t a_end = a->root_offset + a->count * clnn__dtype_size(a->dtype);
    size_t b_end = b->root_offset + b->count * clnn__dtype_size(b->dtype);
    return a->root_offset < b_end && b->root_offset < a_end;
}

void clnn_tensor_release(clnn_tensor *t)
{
    if (!t) return;
    if (t->owned && t->buffer) clReleaseMemObject(t->buffer);
    free(t);
}

clnn_status clnn_tensor_reshape(clnn_tensor *t, int ndim, const size_t *shape)
{
    CLNN_ENTRY_TENSOR(t);
    size_t count;
    TRY(clnn__shape_count(ctx, fn, ndim, shape, clnn__dtype_size(t->dtype), &count));
    if (count != t->count) {
        char buf[96];
        return clnn__fail(ctx, CLNN_ERR_SHAPE, "%s: tensor %s has %zu elements, new shape has %zu", fn,
                          clnn__shape_str(t, buf, sizeof buf), t->count, count);
    }
    t->ndim = ndim;
    for (int i = 0; i < CLNN_MAX_DIMS; i++) t->shape[i] = i < ndim ? shape[i] : 0;
    return CLNN_OK;
}

clnn_status clnn_tensor_shape(const clnn_tensor *t, int *ndim, size_t shape[CLNN_MAX_DIMS])
{
    CLNN_ENTRY_TENSOR(t);
    if (ndim) *ndim = t->ndim;
    if (shape)
        for (int i = 0; i < CLNN_MAX_DIMS; i++) shape[i] = i < t->ndim ? t->shape[i] : 1;
    return CLNN_OK;
}

size_t clnn_tensor_count(const clnn_tensor *t) { return t ? t->count : 0; }
clnn_dtype clnn_tensor_dtype(const clnn_tensor *t) { return t ? t->dtype : CLNN_FLOAT32; }
cl_mem clnn_tensor_buffer(const clnn_tensor *t) { return t ? t->buffer : NULL; }
clnn_context *clnn_tensor_context(const clnn_tensor *t) { return t ? t->ctx : NULL; }

static clnn_status check_transfer(const clnn_tensor *t, const void *ptr, size_t bytes, const char *fn,
                                  const char *ptr_name)
{
    CHECK_ARG(t->ctx, ptr != NULL, "%s: %s is NULL", fn, ptr_name);
    size_t need = t->count * clnn__dtype_size(t->dtype);
    if (bytes != need)
        return clnn__fail(t->ctx, CLNN_ERR_SHAPE, "%s: %zu bytes given, tensor holds %zu", fn, bytes, need);
    return CLNN_OK;
}

clnn_status clnn_tensor_upload(clnn_tensor *t, const void *src, size_t bytes)
{
    CLNN_ENTRY_TENSOR(t);
    TRY(check_transfer(t, src, bytes, fn, "src"));
    cl_int err = clEnqueueWriteBuffer(ctx->queue, t->buffer, CL_TRUE, 0, bytes, src, 0, NULL, NULL);
    if (err != CL_SUCCESS) return clnn__fail_cl(ctx, fn, "clEnqueueWriteBuffer", err);
    return CLNN_OK;
}

clnn_status clnn_tensor_download(const clnn_tensor *t, void *dst, size_t bytes)
{
    CLNN_ENTRY_TENSOR(t);
    TRY(check_transfer(t, dst, bytes, fn, "dst"));
    cl_int err = clEnqueueReadBuffer(ctx->queue, t->buffer, CL_TRUE, 0, bytes, dst, 0, NULL, NULL);
    if (err != CL_SUCCESS) return clnn__fail_cl(ctx, fn, "clEnqueueReadBuffer", err);
    return CLNN_OK;
}

static clnn_status check_typed(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t,
                               clnn_dtype dtype, size_t count)
{
    TRY(clnn__check_tensor(ctx, fn, name, t));
    CHECK_SHAPE(ctx, t->dtype == dtype, "%s: %s must be %s", fn, name, dtype == CLNN_INT32 ? "int32" : "float32");
    CHECK_SHAPE(ctx, count == 0 || t->count == count, "%s: %s has %zu elements, expected %zu", fn, name, t->count,
                count);
    return CLNN_OK;
}

clnn_status clnn__check_f32(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t, size_t count)
{
    return check_typed(ctx, fn, name, t, CLNN_FLOAT32, count);
}

clnn_status clnn__check_i32(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t, size_t count)
{
    return check_typed(ctx, fn, name, t, CLNN_INT32, count);
}

/* ------------------------------------------------- declarative shape checks */

#define SPEC_MAX 8

typedef struct spec_item {
    char kind; /* 'L' a letter, '*' or '+' a letter over a run of dimensions, 'n' a number, '_' any size */
    char name;
    size_t size; /* 'n': the size */
} spec_item;

typedef struct shape_spec {
    clnn_dtype dtype;
    spec_item item[SPEC_MAX];
    int n, run; /* run: the index of the '*' or '+' item, -1 when none */
} shape_spec;

static int parse_spec(const char *s, shape_spec *p)
{
    p->dtype = CLNN_FLOAT32;
    if (strncmp(s, "i32:", 4) == 0) {
        p->dtype = CLNN_INT32;
        s += 4;
    }
    p->n = 0;
    p->run = -1;
    while (*s) {
        if (p->n == SPEC_MAX) return 0;
        spec_item *it = &p->item[p->n++];
        it->name = 0;
        it->size = 0;
        if (*s >= 'A' && *s <= 'Z') {
            it->kind = 'L';
            it->name = *s++;
            if (*s == '*' || *s == '+') {
                if (p->run >= 0) return 0;
                it->kind = *s++;
                p->run = p->n - 1;
            }
        } else if (*s == '_') {
            it->kind = '_';
            s++;
        } else if (*s >= '0' && *s <= '9') {
            it->kind = 'n';
            while (*s >= '0' && *s <= '9') it->size = it->size * 10 + (size_t)(*s++ - '0');
        } else {
            return 0;
        }
        if (*s == ',') s++;
        else if (*s) return 0;
    }
    return 1;
}

/* The size of each spec item in t, 0 when t's rank does not fit the spec. */
static int spec_sizes(const shape_spec *p, const clnn_tensor *t, size_t *sizes)
{
    int fixed = p->n - (p->run >= 0);
    if (p->run < 0 ? t->ndim != p->n : t->ndim < fixed + (p->item[p->run].kind == '+')) return 0;
    int head = p->run < 0 ? p->n : p->run, tail = p->run < 0 ? 0 : p->n - p->run - 1;
    for (int i = 0; i < head; i++) sizes[i] = t->shape[i];
    for (int j = 0; j < tail; j++) sizes[p->run + 1 + j] = t->shape[t->ndim - tail + j];
    if (p->run >= 0) {
        size_t product = 1;
        for (int i = head; i < t->ndim - tail; i++) product *= t->shape[i];
        sizes[p->run] = product;
    }
    return 1;
}

void clnn__dims_bind(clnn__dims *d, char name, size_t size, const char *from)
{
    d->bound |= 1u << (name - 'A');
    d->size[name - 'A'] = size;
    d->from[name - 'A'] = from;
}

size_t clnn__dim(const clnn__dims *d, char name) { return d->bound >> (name - 'A') & 1u ? d->size[name - 'A'] : 0; }

/* The sizes bound by earlier checks (bits of `earlier`) that the spec uses, as
 * " (C = 784 from w, N = 8 from x)", or "". */
static void shape_notes(const clnn__dims *d, const shape_spec *p, uint32_t earlier, char *buf, size_t len)
{
    int noted[26] = {0};
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < p->n && n < len; i++) {
        const int k = p->item[i].name ? p->item[i].name - 'A' : -1;
        if (k >= 0 && (earlier >> k & 1u) && !noted[k]++)
            n += (size_t)snprintf(buf + n, len - n, "%s%c = %zu from %s", n ? ", " : " (", p->item[i].name,
                                  d->size[k], d->from[k]);
    }
    if (n && n < len) snprintf(buf + n, len - n, ")");
}

/* "x is [8, 3] but must be [N..., 784] (C = 784 from w)": names bound by
 * earlier checks show their sizes, a run its name and "..."; a spec of one
 * bound run is a count ("must have 10 elements"). */
static clnn_status shape_fail(clnn_context *ctx, const char *fn, const clnn__dims *d, const char *name,
                              const clnn_tensor *t, const shape_spec *p, uint32_t earlier)
{
    char got[96], want[160], notes[256];
    shape_notes(d, p, earlier, notes, sizeof notes);
    clnn__shape_str(t, got, sizeof got);
    const spec_item *first = &p->item[0];
    if (p->n == 1 && first->kind == '*' && (earlier >> (first->name - 'A') & 1u))
        return clnn__fail(ctx, CLNN_ERR_SHAPE, "%s: %s is %s but must have %zu elements%s", fn, name, got,
                          d->size[first->name - 'A'], notes);
    size_t w = (size_t)snprintf(want, sizeof want, "[");
    for (int i = 0; i < p->n && w < sizeof want; i++) {
        const spec_item *it = &p->item[i];
        const char *sep = i ? ", " : "";
        if (it->kind == 'n') w += (size_t)snprintf(want + w, sizeof want - w, "%s%zu", sep, it->size);
        else if (it->kind == '_') w += (size_t)snprintf(want + w, sizeof want - w, "%sany", sep);
        else if (it->kind == 'L' && (earlier >> (it->name - 'A') & 1u))
            w += (size_t)snprintf(want + w, sizeof want - w, "%s%zu", sep, d->size[it->name - 'A']);
        else w += (size_t)snprintf(want + w, sizeof want - w, "%s%c%s", sep, it->name, it->kind == 'L' ? "" : "...");
    }
    if (w < sizeof want) w += (size_t)snprintf(want + w, sizeof want - w, "]");
    if (p->run >= 0 && p->item[p->run].kind == '+' && w < sizeof want)
        snprintf(want + w, sizeof want - w, " with at least %d dimensions", p->n);
    return clnn__fail(ctx, CLNN_ERR_SHAPE, "%s: %s is %s but must be %s%s", fn, name, got, want, notes);
}

clnn_status clnn__check_shape(clnn_context *ctx, const char *fn, clnn__dims *d, const char *name,
                              const clnn_tensor *t, const char *spec)
{
    shape_spec p;
    if (!parse_spec(spec, &p)) return clnn__fail(ctx, CLNN_ERR_INTERNAL, "%s: bad shape spec \"%s\"", fn, spec);
    TRY(clnn__check_tensor(ctx, fn, name, t));
    CHECK_SHAPE(ctx, t->dtype == p.dtype, "%s: %s must be %s", fn, name, p.dtype == CLNN_INT32 ? "int32" : "float32");
    const uint32_t earlier = d->bound;
    size_t sizes[SPEC_MAX];
    int ok = spec_sizes(&p, t, sizes);
    for (int i = 0; ok && i < p.n; i++) {
        const spec_item *it = &p.item[i];
        if (it->kind == 'n') ok = sizes[i] == it->size;
        else if (it->kind != '_' && (d->bound >> (it->name - 'A') & 1u)) ok = sizes[i] == d->size[it->name - 'A'];
        else if (it->kind != '_') clnn__dims_bind(d, it->name, sizes[i], name);
    }
    return ok ? CLNN_OK : shape_fail(ctx, fn, d, name, t, &p, earlier);
}

clnn_status clnn__check_count32(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t)
{
    CHECK_SHAPE(ctx, t->count <= 0xFFFFFFFFu, "%s: %s has %zu elements, more than 2^32 - 1", fn, name, t->count);
    return CLNN_OK;
}

clnn_status clnn__check_same_shape(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t,
                                   const char *like_name, const clnn_tensor *like)
{
    TRY(clnn__check_f32(ctx, fn, name, t, like->count));
    if (t->ndim == like->ndim && memcmp(t->shape, like->shape, sizeof t->shape[0] * (size_t)like->ndim) == 0)
        return CLNN_OK;
    char got[96], want[96];
    return clnn__fail(ctx, CLNN_ERR_SHAPE, "%s: %s is %s but must be %s like %s", fn, name,
                      clnn__shape_str(t, got, sizeof got), clnn__shape_str(like, want, sizeof want), like_name);
}

clnn_status clnn__scratch(clnn_context *ctx, const char *fn, size_t floats, cl_mem *out)
{
    *out = NULL;
    if (floats == 0) floats = 1;
    if (floats > ctx->info.max_alloc_size / sizeof(float))
        return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY,
                          "%s: a scratch buffer of %zu floats exceeds the device's largest allocation (%llu bytes)",
                          fn, floats, ctx->info.max_alloc_size);
    cl_int err;
    *out = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, floats * sizeof(float), NULL, &err);
    if (!*out) return clnn__fail_cl(ctx, fn, "clCreateBuffer (scratch)", err);
    clnn__mem_track(ctx, *out, floats * sizeof(float));
    return CLNN_OK;
}
