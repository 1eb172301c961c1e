/* The tuner's modes and lookups on the device: off, cached and on (and
 * CLNN_TUNE), database entries that do not fit (passed over for the next
 * link of the lookup chain, and counted), and bad input. The search itself
 * and its configurations: tests/test_tune.c. */
#include "tune_util.h"

#include <unistd.h>

/* Imports database entries ("{...},{...}" without the device field) for
 * device key `key` into the in-memory user database. */
static void import_entries(clnn_context *ctx, const char *key, const char *entries)
{
    char path[1024], text[4096], one[4096];
    size_t off = 0;
    text[0] = '\0';
    /* every entry gets "device": key as its first field */
    for (const char *e = entries; (e = strchr(e, '{')) != NULL; e++) {
        const char *end = strchr(e, '}');
        REQUIRE(end, "entry without '}'");
        snprintf(one, sizeof one, "%s{\"device\":\"%s\",%.*s}", off ? "," : "", key, (int)(end - e - 1), e + 1);
        off += (size_t)snprintf(text + off, sizeof text - off, "%s", one);
        e = end;
    }
    snprintf(path, sizeof path, "/tmp/clnn-test-tune-%ld.json", (long)getpid());
    FILE *f = fopen(path, "w");
    REQUIRE(f && fprintf(f, "{\"format\":\"clnn-tuning\",\"version\":1,\"entries\":[%s]}", text) > 0 &&
                fclose(f) == 0,
            "write %s", path);
    CHECK_OK(ctx, clnn_tune_db_import(path, NULL));
    remove(path);
}

/* An entry within the device's sides but above the kernel's own limit (a GPU
 * lowers it under register pressure): where this device has one, it is
 * passed over for the heuristic, and the launch past it is right and says so. */
static void entry_over_kernel_limit(clnn_context *ctx, const char *key, clnn_tune_limits lim, clnn_tensor *x,
                                    float *out, size_t n)
{
    const size_t problem[2] = {n, 1};
    char entries[512];
    clnn_tune_config cfg;
    clnn_tune_match m;
    clnn_tune_fallbacks after;
    size_t bad;
    const size_t over = 2 * lim.max_local;
    if (over <= lim.max_sides[0] && over <= 65536) {
        snprintf(entries, sizeof entries, "{\"kernel\":\"tensor.scale\",\"bucket\":[1024,1],\"local\":[%zu]}",
                 over);
        import_entries(ctx, key, entries);
        CHECK_OK(ctx, clnn_tune_resolve(ctx, "tensor.scale", problem, &cfg, &m));
        CHECK(m == CLNN_TUNE_MATCH_HEURISTIC && cfg.local[0] <= lim.max_local,
              "an entry above the kernel's limit %zu: match %d local %zu", lim.max_local, m, cfg.local[0]);
        CHECK_OK(ctx, clnn_scale(x, 0.5f));
        CHECK_OK(ctx, clnn_tensor_download(x, out, n * sizeof *out));
        bad = 0;
        for (size_t i = 0; i < n; i++) bad += out[i] != 1.5f;
        CHECK_OK(ctx, clnn_tune_fallbacks_get(ctx, &after));
        CHECK(bad == 0 && strstr(after.last, "tensor.scale") && strstr(after.last, "CL_KERNEL_WORK_GROUP_SIZE"),
              "scale past an entry over the kernel's limit: %zu wrong, note '%s'", bad, after.last);
    } else {
        test_skip("an entry above the kernel's limit but within the device's: this device's kernel limit is its "
                  "largest side");
    }
}

/* Launches pass the entries that do not fit over, correctly, and say so. */
static void launches_pass_over_entries(clnn_context *ctx, const char *key, clnn_tune_limits lim, size_t n)
{
    clnn_tune_fallbacks before, after;
    CHECK_OK(ctx, clnn_tune_fallbacks_get(ctx, &before));
    float *h = malloc(n * sizeof *h), *out = malloc(n * sizeof *out);
    REQUIRE(h && out, "host memory");
    test_fill_uniform(h, n, 5, -1, 1);
    clnn_tensor *x = test_tensor_from(ctx, 1, &n, h), *y = test_tensor_from(ctx, 1, &n, h);
    CHECK_OK(ctx, clnn_axpy(2.0f, x, y));
    CHECK_OK(ctx, clnn_tensor_download(y, out, n * sizeof *out));
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += out[i] != h[i] + 2.0f * h[i];
    CHECK(bad == 0, "axpy past a skipped entry: %zu of %zu wrong", bad, n);
    CHECK_OK(ctx, clnn_tune_fallbacks_get(ctx, &after));
    CHECK(after.entries_skipped == before.entries_skipped + 1 && after.launches == before.launches,
          "axpy: %zu entries skipped, %zu fallback launches (before %zu, %zu)", after.entries_skipped,
          after.launches, before.entries_skipped, before.launches);
    CHECK(strstr(after.last, "tensor.axpy") && strstr(after.last, "local=65536") &&
              strstr(after.last, "CL_DEVICE_MAX_WORK_ITEM_SIZES"),
          "the note says which entry and why: '%s'", after.last);
    CHECK_OK(ctx, clnn_tensor_fill(x, 3.0f));
    CHECK_OK(ctx, clnn_tensor_download(x, out, n * sizeof *out));
    bad = 0;
    for (size_t i = 0; i < n; i++) bad += out[i] != 3.0f;
    CHECK(bad == 0, "fill past a skipped entry: %zu wrong", bad);
    CHECK_OK(ctx, clnn_tune_fallbacks_get(ctx, &after));
    CHECK(after.entries_skipped == before.entries_skipped + 2 && strstr(after.last, "tensor.fill_f32"),
          "fill: %zu entries skipped: '%s'", after.entries_skipped, after.last);
    entry_over_kernel_limit(ctx, key, lim, x, out, n);
    clnn_tensor_release(x);
    clnn_tensor_release(y);
    free(h);
    free(out);
}

/* A database entry that does not fit the device or the kernel (a local size
 * above the device's sides, or above the kernel's own limit where that is
 * below the device's) is passed over for the next link of the lookup chain
 * (an entry for the same device name, else the heuristic), and the launches
 * that pass it over are counted with the reason. */
static void entries_that_do_not_fit(clnn_context *ctx)
{
    clnn_device_info info;
    CHECK_OK(ctx, clnn_context_device(ctx, &info));
    size_t problem[2] = {1000, 1};
    clnn_tune_limits lim;
    CHECK_OK(ctx, clnn_tune_limits_get(ctx, "tensor.axpy", NULL, &lim));
    /* the same vendor and device name with another driver: the chain's second link */
    char other[600];
    const char *bar = strchr(info.key, '|');
    bar = bar ? strchr(bar + 1, '|') : NULL;
    REQUIRE(bar, "device key '%s' is not vendor|name|driver|units", info.key);
    snprintf(other, sizeof other, "%.*s|clnn-test-driver|1", (int)(bar - info.key), info.key);
    const size_t heur = heuristic_local(ctx, "tensor.axpy", problem);
    REQUIRE(heur >= 2, "tensor.axpy's heuristic local size is %zu", heur);
    char entries[512];
    snprintf(entries, sizeof entries,
             "{\"kernel\":\"tensor.fill_f32\",\"bucket\":[1024,1],\"local\":[65536]},"
             "{\"kernel\":\"tensor.axpy\",\"bucket\":[1024,1],\"local\":[65536]}");
    import_entries(ctx, info.key, entries);
    snprintf(entries, sizeof entries, "{\"kernel\":\"tensor.axpy\",\"bucket\":[1024,1],\"local\":[%zu]}",
             heur / 2);
    import_entries(ctx, other, entries);

    clnn_tune_config cfg;
    clnn_tune_match m;
    CHECK_OK(ctx, clnn_tune_resolve(ctx, "tensor.fill_f32", problem, &cfg, &m));
    CHECK(m == CLNN_TUNE_MATCH_HEURISTIC && cfg.local[0] == heuristic_local(ctx, "tensor.fill_f32", problem),
          "an entry above the device's sides: match %d local %zu", m, cfg.local[0]);
    CHECK_OK(ctx, clnn_tune_resolve(ctx, "tensor.axpy", problem, &cfg, &m));
    CHECK(m == CLNN_TUNE_MATCH_DEVICE_NAME && cfg.local[0] == heur / 2,
          "exact entry passed over for the device-name one: match %d local %zu (want %zu)", m, cfg.local[0],
          heur / 2);
    launches_pass_over_entries(ctx, info.key, lim, problem[0]);
}

/* off ignores the database, cached uses it, on tunes on first use and saves;
 * the launch that was tuned still computes the right thing. */
static void modes(clnn_context *ctx)
{
    clnn_device_info info;
    clnn_context_device(ctx, &info);
    clnn_tune_mode mode;
    CHECK_OK(ctx, clnn_tune_get_mode(ctx, &mode));
    CHECK(mode == CLNN_TUNE_CACHED, "default mode %d", mode);
    setenv("CLNN_TUNE", "off", 1);
    clnn_context *off = test_context();
    CHECK_OK(off, clnn_tune_get_mode(off, &mode));
    CHECK(mode == CLNN_TUNE_OFF, "CLNN_TUNE=off gives mode %d", mode);
    clnn_context_release(off);
    unsetenv("CLNN_TUNE");

    /* an entry for this exact device for copy of ~1000: half the heuristic's
     * local size (which fits when the heuristic's does) */
    size_t problem[2] = {1000, 1};
    const size_t heur = heuristic_local(ctx, "tensor.copy", problem);
    REQUIRE(heur >= 2, "tensor.copy's heuristic local size is %zu: no smaller one to store", heur);
    char entry[256];
    snprintf(entry, sizeof entry, "{\"kernel\":\"tensor.copy\",\"bucket\":[1024,1],\"local\":[%zu]}", heur / 2);
    import_entries(ctx, info.key, entry);
    clnn_tune_config cfg;
    clnn_tune_match m;
    CHECK_OK(ctx, clnn_tune_resolve(ctx, "tensor.copy", problem, &cfg, &m));
    CHECK(m == CLNN_TUNE_MATCH_EXACT && cfg.local[0] == heur / 2, "cached: match %d local %zu (entry %zu)", m,
          cfg.local[0], heur / 2);
    CHECK_OK(ctx, clnn_tune_set_mode(ctx, CLNN_TUNE_OFF));
    CHECK_OK(ctx, clnn_tune_resolve(ctx, "tensor.copy", problem, &cfg, &m));
    CHECK(m == CLNN_TUNE_MATCH_HEURISTIC && cfg.local[0] == heur, "off: match %d local %zu (heuristic %zu)", m,
          cfg.local[0], heur);
    CHECK_OK(ctx, clnn_tune_set_mode(ctx, CLNN_TUNE_CACHED));

    /* on: the first scale of an unseen size is tuned, saved, and correct */
    char db[1024];
    CHECK_OK(ctx, clnn_tune_db_path(db, sizeof db));
    remove(db); /* a database left by an earlier run of this test would hold the entry already */
    CHECK_OK(NULL, clnn_tune_db_reload());
    size_t n = test_small() ? 3001 : 300007; /* small: the simulator times every candidate */
    float *h = malloc(n * sizeof *h), *out = malloc(n * sizeof *out);
    REQUIRE(h && out, "host memory");
    test_fill_uniform(h, n, 9, -1, 1);
    clnn_tensor *x = test_tensor_from(ctx, 1, &n, h);
    size_t pn[2] = {n, 1};
    CHECK_OK(ctx, clnn_tune_set_mode(ctx, CLNN_TUNE_ON));
    CHECK_OK(ctx, clnn_tune_resolve(ctx, "tensor.scale", pn, &cfg, &m));
    CHECK(m == CLNN_TUNE_MATCH_HEURISTIC, "scale not tuned yet (match %d)", m);
    CHECK_OK(ctx, clnn_scale(x, 3.0f));
    CHECK_OK(ctx, clnn_tensor_download(x, out, n * sizeof *out));
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += out[i] != h[i] * 3.0f;
    CHECK(bad == 0, "mode on: %zu of %zu scaled values wrong", bad, n);
    CHECK_OK(ctx, clnn_tune_resolve(ctx, "tensor.scale", pn, &cfg, &m));
    CHECK(m == CLNN_TUNE_MATCH_EXACT, "mode on tuned scale (match %d)", m);
    CHECK(access(db, F_OK) == 0, "mode on saved %s", db);
    CHECK_OK(ctx, clnn_scale(x, 0.5f)); /* second use: looked up, not tuned again */
    CHECK_OK(ctx, clnn_tensor_download(x, out, n * sizeof *out));
    bad = 0;
    for (size_t i = 0; i < n; i++) bad += out[i] != (h[i] * 3.0f) * 0.5f;
    CHECK(bad == 0, "mode on, second call: %zu wrong", bad);
    clnn_tune_set_mode(ctx, CLNN_TUNE_CACHED);
    clnn_tune_db_reload(); /* a new process would read the saved file */
    CHECK_OK(ctx, clnn_tune_resolve(ctx, "tensor.scale", pn, &cfg, &m));
    CHECK(m == CLNN_TUNE_MATCH_EXACT, "saved entry found after reload (match %d)", m);
    clnn_tensor_release(x);
    free(h);
    free(out);
}

/* CLNN_TUNE gives a new context its mode, read when the context is created:
 * a later change of the variable does not move a context made before it. */
static void mode_from_environment(void)
{
    clnn_tune_mode mode;
    setenv("CLNN_TUNE", "on", 1);
    clnn_context *on = test_context();
    setenv("CLNN_TUNE", "cached", 1);
    clnn_context *cached = test_context();
    setenv("CLNN_TUNE", "off", 1);
    CHECK_OK(on, clnn_tune_get_mode(on, &mode));
    CHECK(mode == CLNN_TUNE_ON, "CLNN_TUNE=on gives mode %d", mode);
    CHECK_OK(cached, clnn_tune_get_mode(cached, &mode));
    CHECK(mode == CLNN_TUNE_CACHED, "CLNN_TUNE=cached gives mode %d", mode);
    clnn_context_release(on);
    clnn_context_release(cached);
    unsetenv("CLNN_TUNE");
}

static void bad_input(clnn_context *ctx)
{
    const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT;
    size_t problem[2] = {100, 1}, zero[2] = {0, 1}, count;
    clnn_tune_result r;
    clnn_tune_options o;
    clnn_tune_config cfg;
    clnn_tune_options_init(&o);
    EXPECT_FAIL(NULL, INVAL, "clnn_tune_set_mode", clnn_tune_set_mode(NULL, CLNN_TUNE_ON));
    EXPECT_FAIL(ctx, INVAL, "clnn_tune_set_mode", clnn_tune_set_mode(ctx, (clnn_tune_mode)7));
    clnn_tune_mode mode;
    CHECK_OK(ctx, clnn_tune_get_mode(ctx, &mode));
    CHECK(mode == CLNN_TUNE_CACHED, "a rejected mode changes nothing (%d)", mode);
    EXPECT_FAIL(NULL, INVAL, "clnn_tune_kernel", clnn_tune_kernel(NULL, "tensor.copy", problem, NULL, &r));
    EXPECT_FAIL(ctx, INVAL, "clnn_tune_kernel", clnn_tune_kernel(ctx, "tensor.nope", problem, NULL, &r));
    EXPECT_FAIL(ctx, INVAL, "clnn_tune_kernel", clnn_tune_kernel(ctx, NULL, problem, NULL, &r));
    EXPECT_FAIL(ctx, INVAL, "clnn_tune_kernel", clnn_tune_kernel(ctx, "tensor.copy", zero, NULL, &r));
    o.size = 0; /* never initialised */
    EXPECT_FAIL(ctx, INVAL, "clnn_tune_kernel", clnn_tune_kernel(ctx, "tensor.copy", problem, &o, &r));
    clnn_tune_options_init(&o);
    EXPECT_FAIL(ctx, INVAL, "clnn_tune_kernel", clnn_tune_kernel(ctx, "tensor.copy", NULL, NULL, &r));
    EXPECT_FAIL(ctx, INVAL, "clnn_tune_kernel", clnn_tune_kernel(ctx, "tensor.copy", problem, NULL, NULL));
    o.repeats = 0;
    EXPECT_FAIL(ctx, INVAL, "clnn_tune_kernel", clnn_tune_kernel(ctx, "tensor.copy", problem, &o, &r));
    clnn_tune_options_init(&o);
    o.strategy = (clnn_tune_strategy)9;
    EXPECT_FAIL(ctx, INVAL, "clnn_tune_kernel", clnn_tune_kernel(ctx, "tensor.copy", problem, &o, &r));
    clnn_tune_options_init(&o);
    o.budget_seconds = -1;
    EXPECT_FAIL(ctx, INVAL, "clnn_tune_candidates", clnn_tune_candidates(ctx, "tensor.copy", problem, &o, &cfg, 1, &count));
    EXPECT_FAIL(ctx, INVAL, "clnn_tune_candidates", clnn_tune_candidates(ctx, "tensor.copy", problem, NULL, NULL, 1, &count));
    /* a forced configuration beyond the device's limits is refused and changes nothing */
    clnn_tune_match m;
    memset(&cfg, 0, sizeof cfg);
    cfg.local[0] = (size_t)1 << 30;
    EXPECT_FAIL(ctx, INVAL, "clnn_tune_force", clnn_tune_force(ctx, "tensor.copy", &cfg));
    CHECK_OK(ctx, clnn_tune_resolve(ctx, "tensor.copy", problem, &cfg, &m));
    CHECK(m != CLNN_TUNE_MATCH_FORCED, "a refused force changes nothing");
    CHECK(strstr(clnn_last_error(ctx), "CL_DEVICE_MAX_WORK_ITEM_SIZES") != NULL, "the refusal says why: %s",
          clnn_last_error(ctx));
    EXPECT_FAIL(ctx, INVAL, "clnn_tune_force", clnn_tune_force(ctx, "tensor.copy", NULL));
    /* above the kernel's own limit, where that is below the device's side */
    clnn_tune_limits lim;
    CHECK_OK(ctx, clnn_tune_limits_get(ctx, "tensor.copy", NULL, &lim));
    if (2 * lim.max_local <= lim.max_sides[0]) {
        cfg.local[0] = 2 * lim.max_local;
        EXPECT_FAIL(ctx, INVAL, "clnn_tune_force", clnn_tune_force(ctx, "tensor.copy", &cfg));
        CHECK(strstr(clnn_last_error(ctx), "CL_KERNEL_WORK_GROUP_SIZE") != NULL, "the refusal says why: %s",
              clnn_last_error(ctx));
    }
    /* the limits and fallback queries */
    clnn_tune_limits sentinel;
    memset(&sentinel, 0x5a, sizeof sentinel);
    lim = sentinel;
    EXPECT_FAIL(NULL, INVAL, "clnn_tune_limits_get", clnn_tune_limits_get(NULL, "tensor.copy", NULL, &lim));
    EXPECT_FAIL(ctx, INVAL, "clnn_tune_limits_get", clnn_tune_limits_get(ctx, "tensor.nope", NULL, &lim));
    EXPECT_FAIL(ctx, INVAL, "clnn_tune_limits_get", clnn_tune_limits_get(ctx, NULL, NULL, &lim));
    EXPECT_FAIL(ctx, INVAL, "clnn_tune_limits_get", clnn_tune_limits_get(ctx, "tensor.copy", NULL, NULL));
    clnn_tune_config wpt3 = {{1, 1, 1}, {3, 1}}; /* optim.step: WPT 3 is not a candidate */
    EXPECT_FAIL(ctx, INVAL, "clnn_tune_limits_get", clnn_tune_limits_get(ctx, "optim.step", &wpt3, &lim));
    CHECK(memcmp(&lim, &sentinel, sizeof lim) == 0, "a rejected limits query changes nothing");
    clnn_tune_config wpt4 = {{1, 1, 1}, {4, 2}};
    CHECK_OK(ctx, clnn_tune_limits_get(ctx, "optim.step", &wpt4, &lim));
    CHECK(lim.max_local >= 1 && lim.max_sides[0] >= 1 && lim.device_local_mem >= 1, "optim.step limits: %zu, %zu, %llu",
          lim.max_local, lim.max_sides[0], lim.device_local_mem);
    clnn_tune_fallbacks fb;
    EXPECT_FAIL(NULL, INVAL, "clnn_tune_fallbacks_get", clnn_tune_fallbacks_get(NULL, &fb));
    EXPECT_FAIL(ctx, INVAL, "clnn_tune_fallbacks_get", clnn_tune_fallbacks_get(ctx, NULL));
    EXPECT_FAIL(ctx, INVAL, "clnn_tune_resolve", clnn_tune_resolve(ctx, "tensor.copy", problem, NULL, &m));
    EXPECT_FAIL(NULL, INVAL, "clnn_tune_config_string", clnn_tune_config_string("x", &cfg, NULL, 0));
    double ns;
    EXPECT_FAIL(ctx, INVAL, "clnn_tune_bench_lookup", clnn_tune_bench_lookup(ctx, "tensor.copy", 0, &ns));
    CHECK_OK(ctx, clnn_tune_bench_lookup(ctx, "tensor.copy", 1000, &ns));
    CHECK(ns > 0, "lookup time %g ns", ns);
}

int main(void)
{
    clnn_context *ctx = test_context();
    modes(ctx);
    entries_that_do_not_fit(ctx);
    mode_from_environment();
    bad_input(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
