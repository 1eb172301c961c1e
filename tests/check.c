#include "check.h"

#include <math.h>

int check_passed, check_failed, check_skipped;

int check_summary(void)
{
    if (check_skipped)
        printf("%d passed, %d failed, %d skipped\n", check_passed, check_failed, check_skipped);
    else
        printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

int test_small(void)
{
    const char *s = getenv("CLNN_TEST_SMALL");
    return s && *s && strcmp(s, "0") != 0;
}

void test_skip(const char *why)
{
    check_skipped++;
    printf("SKIP %s\n", why);
}

int test_large(const char *what)
{
    if (!test_small()) return 1;
    char why[512];
    snprintf(why, sizeof why, "(CLNN_TEST_SMALL) %s", what);
    test_skip(why);
    return 0;
}

clnn_context *test_context(void)
{
    clnn_context *ctx = NULL;
    clnn_status st = clnn_context_create(NULL, &ctx);
    REQUIRE(st == CLNN_OK, "cannot create a context: %s", clnn_last_error(NULL));
    return ctx;
}

void test_fill_uniform(float *x, size_t n, unsigned seed, float lo, float hi)
{
    unsigned long long s = 0x9E3779B97F4A7C15ull ^ seed;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17; /* xorshift64 */
        x[i] = lo + (hi - lo) * (float)((s >> 40) * (1.0 / 16777216.0));
    }
}

double test_max_rel_error(const float *a, const double *b, size_t n, double atol, double rtol)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]) / (atol + rtol * fabs(b[i]));
        if (e != e) e = INFINITY; /* NaN fails */
        if (e > worst) worst = e;
    }
    return worst;
}

clnn_tensor *test_tensor_from(clnn_context *ctx, int ndim, const size_t *shape, const float *data)
{
    clnn_tensor *t = NULL;
    clnn_status st = clnn_tensor_create(ctx, CLNN_FLOAT32, ndim, shape, &t);
    REQUIRE(st == CLNN_OK, "tensor create: %s", clnn_last_error(ctx));
    size_t n = clnn_tensor_count(t);
    st = clnn_tensor_upload(t, data, n * sizeof(float));
    REQUIRE(st == CLNN_OK, "tensor upload: %s", clnn_last_error(ctx));
    return t;
}

float *test_download(clnn_context *ctx, const clnn_tensor *t)
{
    size_t n = clnn_tensor_count(t);
    float *h = malloc((n ? n : 1) * sizeof *h);
    REQUIRE(h, "host memory");
    clnn_status st = clnn_tensor_download(t, h, n * sizeof *h);
    CHECK(st == CLNN_OK, "download: %s", clnn_last_error(ctx));
    return h;
}

void test_expect_api_error(const char *function, const char *error)
{
    printf("EXPECT-OCLGRIND-API-ERROR %s %s\n", function, error);
}

void test_expect_filled(clnn_context *ctx, const char *name, const clnn_tensor *t, float value)
{
    size_t n = clnn_tensor_count(t), bad = 0;
    float *h = test_download(ctx, t);
    for (size_t i = 0; i < n; i++) bad += h[i] != value;
    CHECK(bad == 0, "%s: %zu of %zu elements changed by rejected calls", name, bad, n);
    free(h);
}

clnn_tensor *test_filled(clnn_context *ctx, clnn_dtype dtype, size_t a, size_t b, float value)
{
    size_t shape[2] = {a, b};
    clnn_tensor *t = NULL;
    clnn_status st = clnn_tensor_create(ctx, dtype, b ? 2 : 1, shape, &t);
    REQUIRE(st == CLNN_OK, "tensor create: %s", clnn_last_error(ctx));
    st = clnn_tensor_fill(t, value);
    REQUIRE(st == CLNN_OK, "tensor fill: %s", clnn_last_error(ctx));
    return t;
}

void test_tune_quick_options(clnn_tune_options *o)
{
    clnn_tune_options_init(o);
    o->strategy = CLNN_TUNE_RANDOM;
    o->budget_count = 4;
    o->repeats = 1;
    o->warmup = 0;
    o->store = 0;
}

void test_tuner_replays(clnn_context *ctx, const char *id, const size_t problem[2])
{
    clnn_tune_options o;
    test_tune_quick_options(&o);
    clnn_tune_result r;
    CHECK_OK(ctx, clnn_tune_kernel(ctx, id, problem, &o, &r));
    CHECK(r.rejected == 0 && r.failed == 0, "%s: %zu candidates differ from the default (%s), %zu failed", id,
          r.rejected, r.rejected_text, r.failed);
    CHECK(r.timed >= 2 || r.space == 1, "%s: only %zu of %zu candidates compared", id, r.timed, r.space);
}

int test_force_row_packing(clnn_context *ctx, const char *id, size_t i, char *what, size_t len)
{
    static const struct {
        int multirow;
        size_t local;
    } packings[TEST_ROW_PACKINGS] = {{1, 1}, {1, 3}, {1, 32}, {1, 48}, {1, 64}, {1, 256}, {0, 3}, {0, 64}};
    REQUIRE(i < TEST_ROW_PACKINGS, "row packing %zu of %d", i, TEST_ROW_PACKINGS);
    clnn_tune_config cfg = {{packings[i].local, 1, 1}, {packings[i].multirow}};
    snprintf(what, len, "%s with MULTIROW=%d local %zu", id, packings[i].multirow, packings[i].local);
    if (clnn_tune_force(ctx, id, &cfg) == CLNN_OK) return 1;
    char why[192];
    snprintf(why, sizeof why, "%s (does not fit this device)", what);
    test_skip(why);
    return 0;
}

size_t test_row_packing_shapes(const size_t **classes, size_t *rows)
{
    static const size_t all[] = {1, 2, 10, 31, 33}, few[] = {1, 10, 33};
    const int small = test_small();
    *classes = small ? few : all;
    *rows = small ? 23 : 97;
    return small ? sizeof few / sizeof few[0] : sizeof all / sizeof all[0];
}

size_t test_local_fit(clnn_context *ctx, const char *kernel_id, const clnn_tune_config *cfg, size_t want)
{
    clnn_tune_limits lim;
    clnn_status st = clnn_tune_limits_get(ctx, kernel_id, cfg, &lim);
    REQUIRE(st == CLNN_OK, "clnn_tune_limits_get(%s): %s", kernel_id, clnn_last_error(ctx));
    size_t max = lim.max_local < lim.max_sides[0] ? lim.max_local : lim.max_sides[0];
    if (want <= max) return want;
    printf("%s: local size %zu -> %zu, the largest this device takes for it\n", kernel_id, want, max);
    return max;
}

/* The header's text followed by the kernels (free it). */
static char *cl_source(const char *cl_dir, const char *header, const char *kernels)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", cl_dir, header);
    FILE *f = fopen(path, "rb");
    REQUIRE(f != NULL, "cannot open %s", path);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    REQUIRE(n > 0 && n < sizeof buf - 1, "%s: %zu bytes read", path, n);
    buf[n] = '\0';
    char *src = malloc(n + strlen(kernels) + 1);
    REQUIRE(src != NULL, "out of memory");
    strcpy(src, buf);
    strcat(src, kernels);
    return src;
}

cl_program test_cl_program(clnn_context *ctx, const char *cl_dir, const char *header, const char *kernels,
                           cl_context *c, cl_command_queue *q, cl_device_id *dev)
{
    CHECK_OK(ctx, clnn_context_cl(ctx, c, q, dev));
    char *src = cl_source(cl_dir, header, kernels);
    const char *srcs[1] = {src};
    cl_int err;
    cl_program prog = clCreateProgramWithSource(*c, 1, srcs, NULL, &err);
    REQUIRE(err == CL_SUCCESS, "clCreateProgramWithSource: %d", err);
    char options[1100]; /* the header's own includes, e.g. logexp.clh's exp.clh */
    snprintf(options, sizeof options, "-I %s", cl_dir);
    err = clBuildProgram(prog, 1, dev, options, NULL, NULL);
    REQUIRE(err == CL_SUCCESS, "clBuildProgram: %d", err);
    free(src);
    return prog;
}
