/* Tuning CLBlast's GEMM kernels: the candidate spaces obey CLBlast's
 * constraints (checked here independently) and the device's limits, the
 * sample is reproducible, parameter text round-trips, a stored winner is
 * found through the lookup chain and applied before the first GEMM (which
 * still computes the right product), a measurement is checked against a
 * host product and a planted wrong result is caught, bad input is refused.
 *
 * Order matters: CLBlast's parameters are process-wide and clnn applies the
 * database's once per process, so the database entry is written before any
 * GEMM, and the measurements (which force CLBlast's kernels for good) come
 * last. */
#include "check.h"

#include <math.h>
#include <stdint.h>

static const char *const kernels[] = {"clblast.xgemm", "clblast.xgemm_direct"};

static size_t get(const clnn_clblast_params *p, const char *name)
{
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->names[i], name) == 0) return p->values[i];
    return (size_t)-1;
}

static int divides(size_t d, size_t x) { return d && x % d == 0; }

/* CLBlast's tuner constraints, written out again from its sources
 * (src/tuning/kernels/xgemm.hpp, xgemm_direct.hpp), and the device limits. */
static int obeys_constraints(const char *kernel, const clnn_clblast_params *p, const clnn_device_info *d)
{
    if (strcmp(kernel, "clblast.xgemm") == 0) {
        size_t kwg = get(p, "KWG"), mwg = get(p, "MWG"), nwg = get(p, "NWG"), mdimc = get(p, "MDIMC");
        size_t ndimc = get(p, "NDIMC"), mdima = get(p, "MDIMA"), ndimb = get(p, "NDIMB"), vwm = get(p, "VWM");
        size_t vwn = get(p, "VWN"), sa = get(p, "SA"), sb = get(p, "SB");
        return p->count == 16 && get(p, "GEMMK") == 0 && get(p, "KREG") == 1 && divides(get(p, "KWI"), kwg) &&
               divides(mdimc * vwm, mwg) && divides(ndimc * vwn, nwg) && divides(mdima * vwm, mwg) &&
               divides(ndimb * vwn, nwg) && divides(mdima, mdimc * ndimc) && divides(mdimc * ndimc / mdima, kwg) &&
               divides(ndimb, mdimc * ndimc) && divides(mdimc * ndimc / ndimb, kwg) &&
               mdimc * ndimc <= d->max_work_group_size && 4 * (sa * kwg * mwg + sb * kwg * nwg) <= d->local_mem_size;
    }
    size_t wgd = get(p, "WGD"), mdimcd = get(p, "MDIMCD"), ndimcd = get(p, "NDIMCD"), mdimad = get(p, "MDIMAD");
    size_t ndimbd = get(p, "NDIMBD"), vwmd = get(p, "VWMD"), vwnd = get(p, "VWND");
    return p->count == 10 && divides(get(p, "KWID"), wgd) && divides(mdimcd * vwmd, wgd) &&
           divides(ndimcd * vwnd, wgd) && divides(mdimad * vwmd, wgd) && divides(ndimbd * vwnd, wgd) &&
           divides(mdimad, mdimcd * ndimcd) && divides(mdimcd * ndimcd / mdimad, wgd) &&
           divides(ndimbd, mdimcd * ndimcd) && divides(mdimcd * ndimcd / ndimbd, wgd) &&
           mdimcd * ndimcd <= d->max_work_group_size &&
           4 * (wgd * (wgd + get(p, "PADA")) + wgd * (wgd + get(p, "PADB"))) <= d->local_mem_size;
}

static int same_params(const clnn_clblast_params *a, const clnn_clblast_params *b)
{
    if (a->count != b->count) return 0;
    for (size_t i = 0; i < a->count; i++)
        if (get(b, a->names[i]) != a->values[i]) return 0;
    return 1;
}

static void candidates(clnn_context *ctx)
{
    clnn_device_info info;
    clnn_context_device(ctx, &info);
    for (size_t k = 0; k < 2; k++) {
        size_t all = 0;
        CHECK_OK(ctx, clnn_tune_clblast_candidates(ctx, kernels[k], 1, 0, NULL, 0, &all));
        CHECK(all >= 20, "%s: only %zu valid parameter sets", kernels[k], all);
        clnn_clblast_params *p = calloc(all, sizeof *p);
        REQUIRE(p, "out of memory");
        CHECK_OK(ctx, clnn_tune_clblast_candidates(ctx, kernels[k], 1, 0, p, all, &all));
        size_t bad = 0;
        for (size_t i = 0; i < all; i++) bad += !obeys_constraints(kernels[k], &p[i], &info);
        CHECK(bad == 0, "%s: %zu of %zu candidates break a constraint or the device's limits", kernels[k], bad, all);
        /* a seeded sample: the same seed gives the same sets, all distinct */
        clnn_clblast_params s1[6], s2[6], s3[6];
        size_t n1 = 0, n2 = 0, n3 = 0;
        CHECK_OK(ctx, clnn_tune_clblast_candidates(ctx, kernels[k], 7, 6, s1, 6, &n1));
        CHECK_OK(ctx, clnn_tune_clblast_candidates(ctx, kernels[k], 7, 6, s2, 6, &n2));
        CHECK_OK(ctx, clnn_tune_clblast_candidates(ctx, kernels[k], 8, 6, s3, 6, &n3));
        CHECK(n1 == 6 && n2 == 6 && n3 == 6, "%s: sample sizes %zu %zu %zu", kernels[k], n1, n2, n3);
        int same = 1, differs = 0, distinct = 1;
        for (size_t i = 0; i < 6; i++) {
            same &= same_params(&s1[i], &s2[i]);
            differs |= !same_params(&s1[i], &s3[i]);
            for (size_t j = 0; j < i; j++) distinct &= !same_params(&s1[i], &s1[j]);
        }
        CHECK(same && differs && distinct, "%s: seed 7 twice %s, seed 8 %s, distinct %d", kernels[k],
              same ? "agrees" : "differs", differs ? "differs" : "agrees", distinct);
        free(p);
    }
}

static void text(clnn_context *ctx)
{
    clnn_clblast_params p, q;
    size_t n = 0;
    CHECK_OK(ctx, clnn_tune_clblast_candidates(ctx, "clblast.xgemm", 3, 1, &p, 1, &n));
    char buf[512];
    CHECK_OK(NULL, clnn_tune_clblast_params_string(&p, buf, sizeof buf));
    CHECK_OK(NULL, clnn_tune_clblast_params_parse("clblast.xgemm", buf, &q));
    CHECK(same_params(&p, &q), "round trip of '%s'", buf);
    char small[8];
    EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, "clnn_tune_clblast_params_string",
                clnn_tune_clblast_params_string(&p, small, sizeof small));
    static const char *const bad[] = {
        "KWID=2",                                                                /* missing parameters */
        "KWID=2 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=1 PADB=1 VWMD=1 VWND=1", /* WGD missing */
        "KWID=2 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=1 PADB=1 VWMD=1 VWND=1 WGD=8 WGD=8", /* repeated */
        "KWID=2 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=1 PADB=1 VWMD=1 VWND=1 XYZ=8",       /* unknown */
        "KWID=-2 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=1 PADB=1 VWMD=1 VWND=1 WGD=8",      /* negative */
        "KWID=two MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=1 PADB=1 VWMD=1 VWND=1 WGD=8",     /* not a number */
        "KWID 2",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&q, 0x5a, sizeof q);
        clnn_clblast_params before = q;
        EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, "clnn_tune_clblast_params_parse",
                    clnn_tune_clblast_params_parse("clblast.xgemm_direct", bad[i], &q));
        CHECK(memcmp(&q, &before, sizeof q) == 0, "a rejected parse of '%s' wrote its output", bad[i]);
    }
    EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, "clnn_tune_clblast_params_parse",
                clnn_tune_clblast_params_parse("clblast.nope", buf, &q));
}

/* A fake device sharing this device's vendor and name, another driver. */
static clnn_device_info other_driver(const clnn_device_info *d)
{
    clnn_device_info o = *d;
    snprintf(o.driver_version, sizeof o.driver_version, "other-driver");
    snprintf(o.key, sizeof o.key, "%s|%s|%s|%u", o.vendor, o.name, o.driver_version, o.compute_units);
    return o;
}

/* Store, look up through the chain, save, reload, apply, and compute. */
static void database_and_apply(clnn_context *ctx)
{
    clnn_device_info info;
    clnn_context_device(ctx, &info);
    clnn_clblast_params want, got;
    size_t n = 0;
    CHECK_OK(ctx, clnn_tune_clblast_candidates(ctx, "clblast.xgemm_direct", 5, 1, &want, 1, &n));
    CHECK_OK(ctx, clnn_tune_clblast_store(ctx, "clblast.xgemm_direct", &want, 1e-3, 2e-3));
    CHECK_OK(ctx, clnn_tune_clblast_store(ctx, "clblast.xgemm", NULL, 1e-3, 1e-3));
    int keeps = -1;
    clnn_tune_match m;
    CHECK_OK(NULL, clnn_tune_clblast_lookup(&info, "clblast.xgemm_direct", &got, &keeps, &m));
    CHECK(m == CLNN_TUNE_MATCH_EXACT && !keeps && same_params(&want, &got), "exact: match %d keeps %d", m, keeps);
    clnn_device_info o = other_driver(&info);
    CHECK_OK(NULL, clnn_tune_clblast_lookup(&o, "clblast.xgemm_direct", &got, &keeps, &m));
    CHECK(m == CLNN_TUNE_MATCH_DEVICE_NAME && same_params(&want, &got), "other driver: match %d", m);
    snprintf(o.name, sizeof o.name, "Some Other Device");
    snprintf(o.key, sizeof o.key, "%s|%s|1|1", o.vendor, o.name);
    o.type = CLNN_DEVICE_ACCELERATOR; /* no shipped default for it */
    CHECK_OK(NULL, clnn_tune_clblast_lookup(&o, "clblast.xgemm_direct", &got, &keeps, &m));
    CHECK(m == CLNN_TUNE_MATCH_HEURISTIC && got.count == 0, "another device: match %d, %zu params", m, got.count);
    CHECK_OK(NULL, clnn_tune_clblast_lookup(&info, "clblast.xgemm", &got, &keeps, &m));
    CHECK(m == CLNN_TUNE_MATCH_EXACT && keeps == 1, "CLBlast's own kept: match %d keeps %d", m, keeps);

    /* the file round trip */
    CHECK_OK(NULL, clnn_tune_db_save());
    CHECK_OK(NULL, clnn_tune_db_reload());
    CHECK_OK(NULL, clnn_tune_clblast_lookup(&info, "clblast.xgemm_direct", &got, &keeps, &m));
    CHECK(m == CLNN_TUNE_MATCH_EXACT && same_params(&want, &got), "after save and reload: match %d", m);

    /* applied before the first GEMM; the GEMM is still right */
    CHECK_OK(ctx, clnn_tune_clblast_applied(ctx, "clblast.xgemm_direct", &got, &m));
    CHECK(m == CLNN_TUNE_MATCH_EXACT && same_params(&want, &got), "applied: match %d, %zu params", m, got.count);
    CHECK_OK(ctx, clnn_tune_clblast_applied(ctx, "clblast.xgemm", &got, &m));
    CHECK(m == CLNN_TUNE_MATCH_HEURISTIC && got.count == 0, "xgemm keeps CLBlast's own: match %d", m);
    const size_t rows = 37, in = 45, out = 29;
    float *x = malloc(rows * in * sizeof *x), *w = malloc(out * in * sizeof *w), *y = malloc(rows * out * sizeof *y);
    REQUIRE(x && w && y, "out of memory");
    test_fill_uniform(x, rows * in, 1, -1, 1);
    test_fill_uniform(w, out * in, 2, -1, 1);
    clnn_tensor *tx = test_tensor_from(ctx, 2, (size_t[]){rows, in}, x);
    clnn_tensor *tw = test_tensor_from(ctx, 2, (size_t[]){out, in}, w), *ty = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 2, (size_t[]){rows, out}, &ty));
    CHECK_OK(ctx, clnn_dense_forward(ctx, tx, tw, NULL, CLNN_ACT_NONE, 0.0f, NULL, ty));
    CHECK_OK(ctx, clnn_tensor_download(ty, y, rows * out * sizeof *y));
    double *ref = malloc(rows * out * sizeof *ref);
    REQUIRE(ref, "out of memory");
    for (size_t r = 0; r < rows; r++)
        for (size_t o2 = 0; o2 < out; o2++) {
            double s = 0;
            for (size_t i = 0; i < in; i++) s += (double)x[r * in + i] * (double)w[o2 * in + i];
            ref[r * out + o2] = s;
        }
    double e = test_max_rel_error(y, ref, rows * out, 1e-5, 1e-5);
    CHECK(e <= 1, "dense with the tuned XgemmDirect: error %.3g of tolerance", e);
    clnn_tensor_release(tx);
    clnn_tensor_release(tw);
    clnn_tensor_release(ty);
    free(x), free(w), free(y), free(ref);
}

static void measurements(clnn_context *ctx)
{
    const size_t mnk[3] = {67, 45, 33}; /* awkward: no tile divides it */
    double seconds = 0, err = -1;
    CHECK_OK(ctx, clnn_tune_clblast_measure(ctx, "clblast.xgemm_direct", NULL, mnk, 2, &seconds, &err));
    CHECK(seconds > 0 && err >= 0 && err <= CLNN_CLBLAST_MAX_ERROR, "direct, CLBlast's own: %g s, error %g", seconds,
          err);
    clnn_clblast_params p;
    size_t n = 0;
    CHECK_OK(ctx, clnn_tune_clblast_candidates(ctx, "clblast.xgemm_direct", 11, 1, &p, 1, &n));
    CHECK_OK(ctx, clnn_tune_clblast_measure(ctx, "clblast.xgemm_direct", &p, mnk, 2, &seconds, &err));
    CHECK(seconds > 0 && err <= CLNN_CLBLAST_MAX_ERROR, "direct, a candidate: %g s, error %g", seconds, err);
    /* the check can fail: a planted wrong entry is reported as a large error */
    setenv("CLNN_TEST_CLBLAST_CORRUPT", "1", 1);
    CHECK_OK(ctx, clnn_tune_clblast_measure(ctx, "clblast.xgemm_direct", &p, mnk, 1, &seconds, &err));
    unsetenv("CLNN_TEST_CLBLAST_CORRUPT");
    CHECK(err > CLNN_CLBLAST_MAX_ERROR, "a corrupted product was not caught: error %g", err);
    /* the indirect kernel (padding and transposes inside CLBlast) on a ragged size */
    const size_t ragged[3] = {70, 33, 129};
    CHECK_OK(ctx, clnn_tune_clblast_measure(ctx, "clblast.xgemm", NULL, ragged, 1, &seconds, &err));
    CHECK(seconds > 0 && err <= CLNN_CLBLAST_MAX_ERROR, "xgemm, CLBlast's own: %g s, error %g", seconds, err);
}

static void bad_input(clnn_context *ctx)
{
    const char *fn = "clnn_tune_clblast_measure";
    const size_t mnk[3] = {8, 8, 8}, zero[3] = {8, 0, 8}, huge[3] = {8, 9000, 8};
    double s = -7, e = -7;
    clnn_clblast_params p;
    size_t n = 0;
    CHECK_OK(ctx, clnn_tune_clblast_candidates(ctx, "clblast.xgemm_direct", 1, 1, &p, 1, &n));
    clnn_clblast_params broken = p; /* WGD 8 with 4-wide vectors over 8 lanes breaks WGD % (MDIMCD * VWMD) */
    for (size_t i = 0; i < broken.count; i++) {
        if (strcmp(broken.names[i], "WGD") == 0) broken.values[i] = 8;
        if (strcmp(broken.names[i], "MDIMCD") == 0) broken.values[i] = 8;
        if (strcmp(broken.names[i], "VWMD") == 0) broken.values[i] = 4;
    }
    clnn_clblast_params short_list = p;
    short_list.count = 3;
    EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_tune_clblast_measure(NULL, "clblast.xgemm", NULL, mnk, 1, &s, &e));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_tune_clblast_measure(ctx, "xgemm", NULL, mnk, 1, &s, &e));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_tune_clblast_measure(ctx, "clblast.xgemm", NULL, zero, 1, &s, &e));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_tune_clblast_measure(ctx, "clblast.xgemm", NULL, huge, 1, &s, &e));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_tune_clblast_measure(ctx, "clblast.xgemm", NULL, mnk, 0, &s, &e));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_tune_clblast_measure(ctx, "clblast.xgemm", NULL, mnk, 1, NULL, &e));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn,
                clnn_tune_clblast_measure(ctx, "clblast.xgemm_direct", &broken, mnk, 1, &s, &e));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn,
                clnn_tune_clblast_measure(ctx, "clblast.xgemm", &p, mnk, 1, &s, &e)); /* direct's names */
    CHECK(s == -7 && e == -7, "rejected measurements wrote their outputs");
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_tune_clblast_store",
                clnn_tune_clblast_store(ctx, "clblast.xgemm_direct", &short_list, 1, 1));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_tune_clblast_store",
                clnn_tune_clblast_store(ctx, "clblast.xgemm_direct", &p, NAN, 1));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_tune_clblast_candidates",
                clnn_tune_clblast_candidates(ctx, "clblast.xgemm", 1, 1, NULL, 1, &n));
    EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, "clnn_tune_clblast_lookup",
                clnn_tune_clblast_lookup(NULL, "clblast.xgemm", &p, (int[1]){0}, (clnn_tune_match[1]){0}));
    clnn_tune_match m;
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_tune_clblast_applied",
                clnn_tune_clblast_applied(ctx, "clblast.gemv", &p, &m));
}

int main(void)
{
    clnn_context *ctx = test_context();
    candidates(ctx);
    text(ctx);
    bad_input(ctx);
    database_and_apply(ctx);
    measurements(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
