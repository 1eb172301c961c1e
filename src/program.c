/* Kernel programs: the embedded sources, building (from a cached binary or from
 * source), and the per-context cache of built programs and their kernels. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const char *name; const char *source; } clnn_embedded_file;
extern const clnn_embedded_file clnn_embedded_files[]; /* generated: build/embedded_cl.c */

#define MAX_KERNELS_PER_PROGRAM 128
#define MAX_SOURCE_BYTES (16u << 20) /* an overriding .cl file: far beyond any program */

typedef struct program_entry {
    char *program;
    char *options;
    cl_program handle;
    cl_uint n_kernels;
    cl_kernel kernels[MAX_KERNELS_PER_PROGRAM];
    char *kernel_names[MAX_KERNELS_PER_PROGRAM];
    char *source_path; /* the CLNN_KERNEL_DIR file it was built from; NULL: embedded */
    struct program_entry *next;
} program_entry;

struct clnn__program_cache {
    program_entry *head;
};

clnn__program_cache *clnn__program_cache_create(void) { return calloc(1, sizeof(clnn__program_cache)); }

static void entry_free(program_entry *e)
{
    for (cl_uint i = 0; i < e->n_kernels; i++) {
        clReleaseKernel(e->kernels[i]);
        free(e->kernel_names[i]);
    }
    if (e->handle) clReleaseProgram(e->handle);
    free(e->program);
    free(e->options);
    free(e->source_path);
    free(e);
}

void clnn__program_cache_destroy(clnn__program_cache *cache)
{
    if (!cache) return;
    for (program_entry *e = cache->head, *next; e; e = next) {
        next = e->next;
        entry_free(e);
    }
    free(cache);
}

/* CLNN_KERNEL_DIR lets kernel developers (and the tests) replace an embedded
 * program by cl/<name>.cl from a directory without rebuilding the library.
 * Returns 0 when the directory has no such file (the embedded source is
 * used), 1 with the text and its path (malloc'ed), or -1 with why when the
 * file is there but cannot be used (a FIFO, a directory, unreadable): never
 * blocks, never silently falls back. */
static int override_source(const char *name, char **text, char **path, char *why, size_t whylen)
{
    *text = *path = NULL;
    const char *dir = getenv("CLNN_KERNEL_DIR");
    if (!dir || !*dir) return 0;
    size_t nl = strlen(name), len = strlen(dir) + nl + 6;
    int is_include = nl > 4 && strcmp(name + nl - 4, ".clh") == 0;
    char *p = malloc(len), reason[256];
    if (!p) {
        snprintf(why, whylen, "out of host memory");
        return -1;
    }
    snprintf(p, len, is_include ? "%s/%s" : "%s/%s.cl", dir, name);
    size_t n;
    int r = clnn__read_regular(p, 0, MAX_SOURCE_BYTES, text, &n, reason, sizeof reason);
    if (r == CLNN__READ_OK) {
        *path = p;
        return 1;
    }
    if (r != CLNN__READ_MISSING) snprintf(why, whylen, "%s (CLNN_KERNEL_DIR) is %s", p, reason);
    free(p);
    return r == CLNN__READ_MISSING ? 0 : -1;
}

const char *clnn__embedded_source(const char *name)
{
    for (const clnn_embedded_file *f = clnn_embedded_files; f->name; f++)
        if (strcmp(f->name, name) == 0) return f->source;
    return NULL;
}

void clnn__embedded_each(void (*fn)(const char *name, void *user), void *user)
{
    for (const clnn_embedded_file *f = clnn_embedded_files; f->name; f++)
        if (!strstr(f->name, ".clh")) fn(f->name, user); /* programs only, not includes */
}

/* ---- #include "name.clh" expansion: programs share pieces (Philox,
 * reductions) without depending on the driver finding files on disk. */

typedef struct text_buf {
    char *data;
    size_t len, cap;
    const char *included[32]; /* each include once, like #pragma once */
    int n_included;
} text_buf;

static int buf_append(text_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *d = realloc(b->data, cap);
        if (!d) return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

/* The source of a program or include: 1 with *text (and *path when it comes
 * from CLNN_KERNEL_DIR), 0 when there is none, -1 with why. */
static int source_of(const char *name, char **text, char **path, char *why, size_t whylen)
{
    int r = override_source(name, text, path, why, whylen);
    if (r) return r;
    const char *e = clnn__embedded_source(name);
    if (!e) return 0;
    *text = strdup(e);
    if (!*text) snprintf(why, whylen, "out of host memory");
    return *text ? 1 : -1;
}

/* Appends src to b with its include lines replaced; returns 0, or -1 with
 * why (empty: out of host memory). */
static int expand(text_buf *b, const char *src, int depth, char *why, size_t whylen)
{
    const char *line = src;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line + 1) : strlen(line);
        const char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        char name[64];
        if (strncmp(p, "#include \"", 10) == 0 && sscanf(p + 10, "%63[^\"]", name) == 1) {
            int seen = 0;
            for (int i = 0; i < b->n_included; i++) seen |= strcmp(b->included[i], name) == 0;
            if (!seen) {
                const char *stable_name = NULL; /* the embedded table's copy outlives this call */
                for (const clnn_embedded_file *f = clnn_embedded_files; f->name; f++)
                    if (strcmp(f->name, name) == 0) stable_name = f->name;
                char *text = NULL, *path = NULL;
                int found = stable_name ? source_of(name, &text, &path, why, whylen) : 0;
                free(path);
                if (found < 0) return -1;
                if (!found || depth > 8 || b->n_included == 32) {
                    snprintf(why, whylen, "includes unknown '%s'", name);
                    free(text);
                    return -1;
                }
                b->included[b->n_included++] = stable_name;
                int rc = expand(b, text, depth + 1, why, whylen);
                free(text);
                if (rc) return rc;
                if (buf_append(b, "\n", 1)) return -1;
            }
        } else if (buf_append(b, line, len)) {
            return -1;
        }
        line += len;
    }
    return 0;
}

/* "cl/<program>.cl", or the CLNN_KERNEL_DIR file the program came from: what messages name. */
static const char *program_file(const program_entry *e, char *buf, size_t len)
{
    if (e->source_path) return e->source_path;
    snprintf(buf, len, "cl/%s.cl", e->program);
    return buf;
}

static clnn_status build_log_error(clnn_context *ctx, const char *fn, const program_entry *e, cl_int err)
{
    size_t len = 0;
    clGetProgramBuildInfo(e->handle, ctx->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &len);
    char *log = calloc(len + 1, 1);
    if (log) clGetProgramBuildInfo(e->handle, ctx->device, CL_PROGRAM_BUILD_LOG, len, log, NULL);
    char file[160];
    clnn_status st = clnn__fail(ctx, CLNN_ERR_BUILD, "%s: building %s failed (%s); build log:\n%s", fn,
                                program_file(e, file, sizeof file), clnn__cl_error_name(err),
                                log ? log : "(unavailable)");
    free(log);
    return st;
}

/* Creates every kernel of the program: some drivers compile lazily, and a
 * binary must only be cached once its kernels are known to exist. */
static cl_int create_kernels(program_entry *e)
{
    cl_uint n = 0;
    cl_int err = clCreateKernelsInProgram(e->handle, MAX_KERNELS_PER_PROGRAM, e->kernels, &n);
    if (err != CL_SUCCESS) return err;
    e->n_kernels = n;
    for (cl_uint i = 0; i < n; i++) {
        size_t len = 0;
        clGetKernelInfo(e->kernels[i], CL_KERNEL_FUNCTION_NAME, 0, NULL, &len);
        e->kernel_names[i] = calloc(len + 1, 1);
        if (!e->kernel_names[i]) return CL_OUT_OF_HOST_MEMORY;
        clGetKernelInfo(e->kernels[i], CL_KERNEL_FUNCTION_NAME, len, e->kernel_names[i], NULL);
    }
    return CL_SUCCESS;
}

static void release_kernels(program_entry *e)
{
    for (cl_uint i = 0; i < e->n_kernels; i++) {
        clReleaseKernel(e->kernels[i]);
        free(e->kernel_names[i]);
        e->kernel_names[i] = NULL;
    }
    e->n_kernels = 0;
}

static int try_binary(clnn_context *ctx, program_entry *e, const char *full_options, const char *key)
{
    unsigned char *bin;
    size_t size;
    int rejected;
    if (!clnn__binary_cache_load(key, &bin, &size, &rejected)) {
        if (rejected) ctx->cache_stats.disk_rejects++;
        return 0;
    }
    cl_int status = CL_SUCCESS, err;
    const unsigned char *bins[1] = {bin};
    e->handle = clCreateProgramWithBinary(ctx->context, 1, &ctx->device, &size, bins, &status, &err);
    free(bin);
    if (e->handle && err == CL_SUCCESS && status == CL_SUCCESS &&
        clBuildProgram(e->handle, 1, &ctx->device, full_options, NULL, NULL) == CL_SUCCESS &&
        create_kernels(e) == CL_SUCCESS) {
        ctx->cache_stats.disk_hits++;
        return 1;
    }
    release_kernels(e);
    if (e->handle) clReleaseProgram(e->handle);
    e->handle = NULL;
    ctx->cache_stats.disk_rejects++;
    return 0;
}

static void store_binary(clnn_context *ctx, cl_program prog, const char *key)
{
    /* Asking for the binary makes lazy drivers compile every kernel of the
     * program now (PoCL: ~25 of build_all's ~30 s): only when it is kept. */
    if (!clnn__binary_cache_dir()) return;
    size_t size = 0;
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) != CL_SUCCESS || size == 0)
        return;
    unsigned char *bin = malloc(size);
    if (!bin) return;
    unsigned char *bins[1] = {bin};
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof bins, bins, NULL) == CL_SUCCESS &&
        clnn__binary_cache_store(key, bin, size))
        ctx->cache_stats.disk_writes++;
    free(bin);
}

/* CLNN_PROGRAM_DUMP=<dir> (a kernel developer's hook): every program built
 * is written there as <key>.cl, its spliced source with the full build
 * options on the first line, so tests/check_offline_compile.sh compiles
 * exactly what the runtime compiles. */
static void dump_program(const char *program, const char *source, const char *options, const char *key)
{
    const char *dir = getenv("CLNN_PROGRAM_DUMP");
    if (!dir || !*dir) return;
    size_t plen = strlen(dir) + strlen(key) + 8;
    size_t tlen = strlen(program) + strlen(options) + strlen(source) + 64;
    char *path = malloc(plen), *text = malloc(tlen);
    if (path && text) {
        snprintf(path, plen, "%s/%s.cl", dir, key);
        int n = snprintf(text, tlen, "// clnn-program: %s\n// clnn-options: %s\n%s", program, options, source);
        if (n > 0) clnn__write_file_atomic(path, text, (size_t)n);
    }
    free(path);
    free(text);
}

static clnn_status build_program(clnn_context *ctx, const char *fn, program_entry *e)
{
    char *raw = NULL, why[600] = "";
    int found = source_of(e->program, &raw, &e->source_path, why, sizeof why);
    if (found < 0) return clnn__fail(ctx, CLNN_ERR_BUILD, "%s: %s", fn, why);
    if (!found) return clnn__fail(ctx, CLNN_ERR_INTERNAL, "%s: no kernel program named '%s'", fn, e->program);
    text_buf tb = {0};
    int rc = expand(&tb, raw, 0, why, sizeof why);
    free(raw);
    if (rc) {
        free(tb.data);
        char file[160];
        return why[0] ? clnn__fail(ctx, CLNN_ERR_BUILD, "%s: %s: %s", fn, program_file(e, file, sizeof file), why)
                      : clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    }
    const char *source = tb.data;

    size_t olen = strlen(e->options) + 64;
    char *full_options = malloc(olen);
    if (!full_options) {
        free(tb.data);
        return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    }
    snprintf(full_options, olen, "-cl-std=CL1.2 %s", e->options);
    char key[33];
    clnn__binary_cache_key(ctx, source, full_options, key);
    dump_program(e->program, source, full_options, key);

    double t0 = clnn__now_seconds();
    clnn_status st = CLNN_OK;
    if (!try_binary(ctx, e, full_options, key)) {
        cl_int err;
        e->handle = clCreateProgramWithSource(ctx->context, 1, &source, NULL, &err);
        if (!e->handle) {
            st = clnn__fail_cl(ctx, fn, "clCreateProgramWithSource", err);
        } else if ((err = clBuildProgram(e->handle, 1, &ctx->device, full_options, NULL, NULL)) != CL_SUCCESS) {
            st = build_log_error(ctx, fn, e, err);
        } else if ((err = create_kernels(e)) != CL_SUCCESS) {
            st = clnn__fail_cl(ctx, fn, "clCreateKernelsInProgram", err);
        } else {
            ctx->cache_stats.source_builds++;
            store_binary(ctx, e->handle, key);
        }
    }
    ctx->cache_stats.build_seconds += clnn__now_seconds() - t0;
    free(full_options);
    free(tb.data);
    return st;
}

static program_entry *find_entry(clnn__program_cache *cache, const char *program, const char *options)
{
    for (program_entry *e = cache->head; e; e = e->next)
        if (strcmp(e->program, program) == 0 && strcmp(e->options, options) == 0) return e;
    return NULL;
}

static clnn_status program_get(clnn_context *ctx, const char *fn, const char *program, const char *options,
                               program_entry **out)
{
    if (!options) options = "";
    program_entry *e = find_entry(ctx->programs, program, options);
    if (e) {
        ctx->cache_stats.memory_hits++;
        *out = e;
        return CLNN_OK;
    }
    e = calloc(1, sizeof *e);
    if (e) {
        e->program = strdup(program);
        e->options = strdup(options);
    }
    if (!e || !e->program || !e->options) {
        if (e) entry_free(e);
        return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    }
    clnn_status st = build_program(ctx, fn, e);
    if (st != CLNN_OK) {
        entry_free(e);
        return st;
    }
    e->next = ctx->programs->head;
    ctx->programs->head = e;
    *out = e;
    return CLNN_OK;
}

clnn_status clnn__kernel_get(clnn_context *ctx, const char *fn, const char *program, const char *options,
                             const char *kernel, cl_kernel *out)
{
    program_entry *e;
    TRY(program_get(ctx, fn, program, options, &e));
    for (cl_uint i = 0; i < e->n_kernels; i++)
        if (strcmp(e->kernel_names[i], kernel) == 0) {
            *out = e->kernels[i];
            return CLNN_OK;
        }
    /* a program from CLNN_KERNEL_DIR is the user's: a missing kernel is an error in their file */
    if (e->source_path)
        return clnn__fail(ctx, CLNN_ERR_BUILD, "%s: %s (CLNN_KERNEL_DIR) has no kernel '%s'", fn, e->source_path,
                          kernel);
    return clnn__fail(ctx, CLNN_ERR_INTERNAL, "%s: cl/%s.cl has no kernel '%s'", fn, program, kernel);
}

typedef struct build_all_state {
    clnn_context *ctx;
    const char *fn;
    clnn_status status;
} build_all_state;

static void build_one(const char *name, void *user)
{
    build_all_state *s = user;
    program_entry *e;
    if (s->status == CLNN_OK) s->status = program_get(s->ctx, s->fn, name, "", &e);
}

clnn_status clnn_context_build_all(clnn_context *ctx)
{
    CLNN_ENTRY(ctx);
    build_all_state s = {ctx, fn, CLNN_OK};
    clnn__embedded_each(build_one, &s);
    return s.status;
}
