/* The tuner on the device: the search space is what the documented rule
 * gives for this device's and each kernel's limits (asked through
 * clnn_tune_limits_get, never assumed), seeded strategies repeat themselves,
 * a planted wrong candidate is rejected and never stored, every candidate
 * configuration of every tensor kernel gives the default configuration's
 * bits (so results do not depend on the local size, Philox fills included),
 * the stochastic masks, noise, DropBlock and cutout under forced local sizes
 * 1, 3 and 64 (or the kernel's largest below 64), a seconds budget, and a
 * kernel that needs more local memory than the device has (a fallback at
 * launch). The modes, database entries that do not fit and bad input:
 * tests/test_tune_modes.c. */
#include "tune_util.h"

static const char *tensor_kernels[] = {"tensor.fill_f32", "tensor.fill_i32", "tensor.copy", "tensor.scale",
                                       "tensor.axpy", "tensor.random_uniform", "tensor.random_normal"};
#define N_KERNELS (sizeof tensor_kernels / sizeof tensor_kernels[0])

static int is_pow2(size_t x) { return x && !(x & (x - 1)); }

/* The Philox fills give each work-item a block of four elements. */
static size_t work_items(const char *kernel, size_t n)
{
    return strncmp(kernel, "tensor.random_", 14) == 0 ? (n + 3) / 4 : n;
}

/* How many candidates the documented rule (docs/tuning.md, "Search space")
 * gives a 1-D kernel without parameters doing `work` work-items on this
 * device: powers of two from 8 (from 1 where the limit is below 8) up to
 * min(1024, the kernel's limit, cap when not 0), each within the device's
 * first side and, beyond 8, not above the next power of two of the work;
 * plus the default when it is not one of them. The limits come from the
 * device (clnn_tune_limits_get), never from PoCL's numbers. */
static size_t expected_candidates(clnn_context *ctx, const char *kernel, size_t work, size_t cap, size_t def_local)
{
    clnn_tune_limits lim;
    CHECK_OK(ctx, clnn_tune_limits_get(ctx, kernel, NULL, &lim));
    size_t limit = lim.max_local < 1024 ? lim.max_local : 1024, pw = 1, n = 0;
    int def_in = 0;
    if (cap && cap < limit) limit = cap;
    while (pw < work) pw *= 2;
    for (size_t l = limit < 8 ? 1 : 8; l <= limit; l *= 2)
        if (l <= lim.max_sides[0] && (l <= 8 || l <= pw)) {
            n++;
            def_in |= l == def_local;
        }
    return n + !def_in;
}

static void space_limits(clnn_context *ctx)
{
    clnn_tune_config cands[256];
    for (size_t k = 0; k < N_KERNELS; k++) {
        size_t problem[2] = {(size_t)1 << 20, 1}, count = 0;
        clnn_tune_limits lim;
        CHECK_OK(ctx, clnn_tune_limits_get(ctx, tensor_kernels[k], NULL, &lim));
        CHECK_OK(ctx, clnn_tune_candidates(ctx, tensor_kernels[k], problem, NULL, cands, 256, &count));
        size_t def = heuristic_local(ctx, tensor_kernels[k], problem);
        size_t want = expected_candidates(ctx, tensor_kernels[k], work_items(tensor_kernels[k], problem[0]), 0, def);
        CHECK(count == want, "%s: %zu candidates, the device's limits (kernel %zu, side %zu) give %zu",
              tensor_kernels[k], count, lim.max_local, lim.max_sides[0], want);
        CHECK(cands[0].local[0] == def, "%s: the default (local %zu) comes first, not %zu", tensor_kernels[k], def,
              cands[0].local[0]);
        size_t bad = 0;
        for (size_t i = 0; i < count && i < 256; i++) {
            bad += cands[i].local[0] > lim.max_local || cands[i].local[0] > lim.max_sides[0];
            /* powers of two, and the default first (whole warps up to a limit that is none) */
            bad += (i > 0 && !is_pow2(cands[i].local[0])) || cands[i].local[1] != 1 || cands[i].local[2] != 1;
            for (size_t j = 0; j < i; j++) bad += memcmp(&cands[i], &cands[j], sizeof cands[i]) == 0;
        }
        CHECK(bad == 0, "%s: %zu candidates outside the kernel's limits or repeated", tensor_kernels[k], bad);
    }
    /* a smaller device (simulated): nothing above its limit but the default */
    setenv("CLNN_TUNE_MAX_LOCAL", "32", 1);
    size_t problem[2] = {100000, 1}, count = 0, bad = 0;
    size_t def = heuristic_local(ctx, "tensor.copy", problem);
    size_t want = expected_candidates(ctx, "tensor.copy", problem[0], 32, def);
    CHECK_OK(ctx, clnn_tune_candidates(ctx, "tensor.copy", problem, NULL, cands, 256, &count));
    for (size_t i = 1; i < count; i++) bad += cands[i].local[0] > 32;
    CHECK(bad == 0 && count == want, "limit 32: %zu candidates (want %zu), %zu above it", count, want, bad);
    unsetenv("CLNN_TUNE_MAX_LOCAL");
    /* a tiny problem: no group much larger than the work */
    problem[0] = 3;
    def = heuristic_local(ctx, "tensor.copy", problem);
    want = expected_candidates(ctx, "tensor.copy", problem[0], 0, def);
    CHECK_OK(ctx, clnn_tune_candidates(ctx, "tensor.copy", problem, NULL, cands, 256, &count));
    bad = 0;
    for (size_t i = 1; i < count; i++) bad += cands[i].local[0] > 8;
    CHECK(bad == 0 && count == want, "problem 3: %zu candidates (want %zu), %zu above 8", count, want, bad);
}

static void seeded_strategies(clnn_context *ctx)
{
    clnn_tune_options o;
    clnn_tune_options_init(&o);
    o.strategy = CLNN_TUNE_RANDOM;
    o.budget_count = 3;
    o.seed = 12345;
    size_t problem[2] = {1 << 20, 1}, n1 = 0, n2 = 0, n3 = 0, nall = 0;
    clnn_tune_config a[16], b[16], c[16], all[64];
    CHECK_OK(ctx, clnn_tune_candidates(ctx, "tensor.axpy", problem, &o, a, 16, &n1));
    CHECK_OK(ctx, clnn_tune_candidates(ctx, "tensor.axpy", problem, &o, b, 16, &n2));
    o.strategy = CLNN_TUNE_EXHAUSTIVE;
    CHECK_OK(ctx, clnn_tune_candidates(ctx, "tensor.axpy", problem, &o, all, 64, &nall));
    o.strategy = CLNN_TUNE_RANDOM;
    size_t want = expected_candidates(ctx, "tensor.axpy", problem[0], 0, heuristic_local(ctx, "tensor.axpy", problem));
    CHECK(nall == want, "exhaustive: %zu candidates, the device's limits give %zu", nall, want);
    want = nall < 4 ? nall : 4;
    CHECK(n1 == want && n2 == want, "random budget 3: %zu, %zu candidates (want default + 3 of %zu: %zu)", n1, n2,
          nall, want);
    CHECK(memcmp(a, b, n1 * sizeof *a) == 0, "same seed, same candidates");
    /* another seed samples or orders the others differently (with at least
     * two of them; one of ten seeds differs unless sampling ignores it) */
    if (nall >= 3) {
        int differs = 0;
        for (uint64_t seed = 999; seed < 1009 && !differs; seed++) {
            o.seed = seed;
            CHECK_OK(ctx, clnn_tune_candidates(ctx, "tensor.axpy", problem, &o, c, 16, &n3));
            differs = n3 != n1 || memcmp(a, c, n1 * sizeof *a) != 0;
        }
        CHECK(differs, "ten other seeds, the same candidates");
    } else {
        test_skip("another seed, other candidates: this device leaves tensor.axpy fewer than two candidates "
                  "besides the default");
    }
    CHECK(memcmp(&a[0], &all[0], sizeof a[0]) == 0, "the default is always the first candidate");

    /* annealing stays within its budget and never loses against the default */
    clnn_tune_options_init(&o);
    o.strategy = CLNN_TUNE_ANNEALING;
    o.budget_count = 3;
    o.repeats = 3;
    o.store = 0;
    clnn_tune_result r;
    size_t p2[2] = {test_small() ? 4096 : 65536, 1}; /* small: the simulator times every candidate */
    CHECK_OK(ctx, clnn_tune_kernel(ctx, "tensor.scale", p2, &o, &r));
    CHECK(r.timed >= 1 && r.timed <= 4 && r.rejected == 0 && r.failed == 0, "annealing: %zu timed, %zu rejected",
          r.timed, r.rejected);
    CHECK(r.best_seconds > 0 && r.best_seconds <= r.default_seconds && !r.stored, "annealing: best %g default %g",
          r.best_seconds, r.default_seconds);
}

/* A candidate that produces a wrong result (and claims to be 10x faster) is
 * rejected, reported and not stored. */
static void planted_wrong_candidate(clnn_context *ctx)
{
    clnn_tune_options o;
    clnn_tune_options_init(&o);
    o.repeats = 3;
    clnn_tune_result r;
    /* small (simulator, which times every candidate many times): a bucket of
     * 2048 instead of 131072, still several work-groups and a ragged tail */
    const size_t n = test_small() ? 1024 + 3 : 65536 + 3, bucket = test_small() ? 2048 : 131072;
    size_t problem[2] = {n, 1};
    /* the planted one: local 64 where the kernel takes it, else another candidate */
    clnn_tune_config cands[64];
    size_t count = 0;
    CHECK_OK(ctx, clnn_tune_candidates(ctx, "tensor.copy", problem, NULL, cands, 64, &count));
    REQUIRE(count >= 2, "tensor.copy has %zu candidates on this device", count);
    o.test_wrong_local = cands[1].local[0];
    for (size_t i = 1; i < count && i < 64; i++)
        if (cands[i].local[0] == 64) o.test_wrong_local = 64;
    char planted[32];
    snprintf(planted, sizeof planted, "local=%zu", o.test_wrong_local);
    CHECK_OK(ctx, clnn_tune_kernel(ctx, "tensor.copy", problem, &o, &r));
    CHECK(r.rejected == 1 && strstr(r.rejected_text, planted), "rejected %zu: '%s' (planted %s)", r.rejected,
          r.rejected_text, planted);
    CHECK(r.best_config.local[0] != o.test_wrong_local, "the wrong candidate was chosen");
    CHECK(r.stored && r.bucket[0] == bucket, "stored %d bucket %zu", r.stored, r.bucket[0]);
    clnn_tune_config cfg;
    clnn_tune_match m;
    CHECK_OK(ctx, clnn_tune_resolve(ctx, "tensor.copy", problem, &cfg, &m));
    CHECK(cfg.local[0] != o.test_wrong_local && m == CLNN_TUNE_MATCH_EXACT, "database holds local %zu (match %d)",
          cfg.local[0], m);
    CHECK(r.default_seconds > 0 && r.best_seconds > 0 && r.best_seconds <= r.default_seconds,
          "times: default %g best %g", r.default_seconds, r.best_seconds);
    CHECK(!r.improved || r.best_seconds < r.default_seconds * (1 - r.noise), "improved only beyond the noise");

    /* every non-default candidate wrong: nothing but the default survives */
    CHECK_OK(ctx, clnn_tune_candidates(ctx, "tensor.scale", problem, NULL, cands, 64, &count));
    size_t wrong_total = 0;
    for (size_t i = 1; i < count; i++) {
        o.test_wrong_local = cands[i].local[0];
        o.ncompare = 0;
        CHECK_OK(ctx, clnn_tune_kernel(ctx, "tensor.scale", problem, &o, &r));
        wrong_total += r.rejected;
        CHECK(r.best_config.local[0] != o.test_wrong_local, "planted local %zu chosen", o.test_wrong_local);
    }
    CHECK(wrong_total == count - 1, "%zu of %zu planted candidates rejected", wrong_total, count - 1);
}

/* Runs a tensor kernel's op on fixed inputs; out gets n 32-bit words. */
static void run_op(clnn_context *ctx, const char *kernel, clnn_tensor *x, clnn_tensor *y, clnn_tensor *xi,
                   const float *a, const float *b, size_t n, uint32_t *out)
{
    CHECK_OK(ctx, clnn_tensor_upload(x, a, n * sizeof *a));
    CHECK_OK(ctx, clnn_tensor_upload(y, b, n * sizeof *b));
    const clnn_tensor *result = x;
    if (strcmp(kernel, "tensor.fill_i32") == 0) result = xi;
    if (strcmp(kernel, "tensor.copy") == 0 || strcmp(kernel, "tensor.axpy") == 0) result = y;
    clnn_status st;
    if (strcmp(kernel, "tensor.fill_f32") == 0) st = clnn_tensor_fill(x, -2.25f);
    else if (strcmp(kernel, "tensor.fill_i32") == 0) st = clnn_tensor_fill(xi, 77.0f);
    else if (strcmp(kernel, "tensor.copy") == 0) st = clnn_tensor_copy(y, x);
    else if (strcmp(kernel, "tensor.scale") == 0) st = clnn_scale(x, 1.7f);
    else if (strcmp(kernel, "tensor.axpy") == 0) st = clnn_axpy(-0.3f, x, y);
    else if (strcmp(kernel, "tensor.random_uniform") == 0) st = clnn_tensor_random_uniform(x, 77, 5, -2, 3);
    else st = clnn_tensor_random_normal(x, 77, 5, 1, 2);
    CHECK_OK(ctx, st);
    CHECK_OK(ctx, clnn_tensor_download((clnn_tensor *)result, out, n * sizeof *out));
}

/* Every candidate configuration gives the default configuration's bits. */
static void tuned_equals_default(clnn_context *ctx)
{
    /* not a multiple of any local size; small (simulator, where every
     * candidate of 7 kernels runs): 1031, still above the largest local size
     * the simulator offers (1024), so every candidate has a ragged tail */
    const size_t n = test_small() ? 1031 : ((size_t)1 << 20) + 7;
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    uint32_t *ref = malloc(n * sizeof *ref), *got = malloc(n * sizeof *got);
    REQUIRE(a && b && ref && got, "host memory");
    test_fill_uniform(a, n, 3, -5, 5);
    test_fill_uniform(b, n, 4, -5, 5);
    clnn_tensor *x = NULL, *y = NULL, *xi = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &x));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &y));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 1, &n, &xi));
    size_t problem[2] = {n, 1}, total = 0, want_total = 0;
    for (size_t k = 0; k < N_KERNELS; k++) {
        size_t want = expected_candidates(ctx, tensor_kernels[k], work_items(tensor_kernels[k], n), 0,
                                          heuristic_local(ctx, tensor_kernels[k], problem));
        want_total += want < 64 ? want : 64;
        clnn_tune_set_mode(ctx, CLNN_TUNE_OFF);
        run_op(ctx, tensor_kernels[k], x, y, xi, a, b, n, ref);
        clnn_tune_set_mode(ctx, CLNN_TUNE_CACHED);
        clnn_tune_config cands[64];
        size_t count = 0;
        CHECK_OK(ctx, clnn_tune_candidates(ctx, tensor_kernels[k], problem, NULL, cands, 64, &count));
        for (size_t i = 0; i < count && i < 64; i++) {
            CHECK_OK(ctx, clnn_tune_force(ctx, tensor_kernels[k], &cands[i]));
            clnn_tune_match m;
            clnn_tune_config used;
            CHECK_OK(ctx, clnn_tune_resolve(ctx, tensor_kernels[k], problem, &used, &m));
            CHECK(m == CLNN_TUNE_MATCH_FORCED && used.local[0] == cands[i].local[0], "forced configuration used");
            run_op(ctx, tensor_kernels[k], x, y, xi, a, b, n, got);
            CHECK(memcmp(ref, got, n * sizeof *ref) == 0, "%s local %zu differs from the default",
                  tensor_kernels[k], cands[i].local[0]);
            total++;
        }
        CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
    }
    CHECK(total == want_total && total >= 2 * N_KERNELS,
          "%zu configurations compared, the device's limits give %zu (at least 2 a kernel)", total, want_total);
    /* and a tuned database entry changes nothing either */
    clnn_tune_result r;
    clnn_tune_options o;
    clnn_tune_options_init(&o);
    o.repeats = 3;
    CHECK_OK(ctx, clnn_tune_kernel(ctx, "tensor.random_normal", problem, &o, &r));
    run_op(ctx, "tensor.random_normal", x, y, xi, a, b, n, got);
    clnn_tune_set_mode(ctx, CLNN_TUNE_OFF);
    run_op(ctx, "tensor.random_normal", x, y, xi, a, b, n, ref);
    clnn_tune_set_mode(ctx, CLNN_TUNE_CACHED);
    CHECK(memcmp(ref, got, n * sizeof *ref) == 0, "tuned random_normal differs from the default");
    clnn_tensor_release(x);
    clnn_tensor_release(y);
    clnn_tensor_release(xi);
    free(a); free(b); free(ref); free(got);
}

/* One kernel of every family the tuner exercises, at awkward sizes: the
 * tuner replays its real launch under every sampled candidate and compares
 * every buffer argument with the default's output byte for byte; a candidate
 * that differed would be counted in `rejected`. The row kernels (softmax,
 * losses) pass fixed-size local memory, which replay now supports. The
 * planted-wrong-candidate hook proves the comparison can fail for them too. */
static void every_family_matches_default(clnn_context *ctx)
{
    static const struct {
        const char *id;
        size_t problem[2];
    } cases[] = {
        {"optim.step", {1031, 1}},           {"reg.reduce_partial", {4099, 1}},
        {"reg.group_apply", {13, 37}},       {"stochastic.count_ones_partial", {3001, 1}},
        {"stochastic.mixout", {997, 1}},     {"augment.pair_mix_scatter", {481, 1}},
        {"activation.backward", {1009, 1}},  {"dense.dz", {37, 65}},
        {"dense.db", {37, 65}},              {"softmax.forward", {13, 257}},
        {"softmax.backward", {7, 300}},      {"loss.ce_labels", {29, 31}},
        {"loss.row_weights", {1, 256}},   {"loss.pointwise", {3, 4099}},
        {"dropout.forward", {1001, 1}},      {"blocks.copy_block", {17, 9}},
        {"reduce.group_sum", {11, 333}},     {"conv.col2im", {3, 49}},
        {"pool.backward", {5, 81}},          {"norm.backward_data", {9, 131}},
        {"attention.softmax_backward", {19, 23}}, {"outputs.kl_logits", {7, 131}},
        /* the reg kernels whose exercise once launched nothing */
        {"reg.blend", {1001, 1}},            {"reg.outer", {13, 17}},
        {"reg.topk_count", {37, 29}},        {"reg.topk_select", {37, 29}},
        {"reg.topk_mask", {37, 29}},         {"reg.nm_mask", {7, 9}},
        {"reg.maskllm", {7, 9}},             {"reg.quant_params", {13, 17}},
        {"reg.fake_quant", {13, 17}},
    };
    /* the simulator (small mode) replays every third kernel: each family's
     * own tests run its kernels under Oclgrind, forced local sizes included */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (!test_small() || i % 3 == 0) test_tuner_replays(ctx, cases[i].id, cases[i].problem);
    /* a wrong candidate of a row kernel (fixed local memory) is caught */
    clnn_tune_options o;
    test_tune_quick_options(&o);
    clnn_tune_config cands[64];
    size_t count = 0, problem[2] = {13, 257};
    CHECK_OK(ctx, clnn_tune_candidates(ctx, "softmax.forward", problem, &o, cands, 64, &count));
    REQUIRE(count >= 2, "softmax.forward has %zu candidates", count);
    o.test_wrong_local = cands[1].local[0];
    /* every planned candidate but the default with that local size is
     * planted wrong (with MULTIROW and ROWVEC 0 and 1 there may be four) */
    size_t planted = 0;
    for (size_t i = 1; i < count && i < 64; i++) planted += cands[i].local[0] == o.test_wrong_local;
    clnn_tune_result r;
    CHECK_OK(ctx, clnn_tune_kernel(ctx, "softmax.forward", problem, &o, &r));
    const int chose_default = memcmp(&r.best_config, &cands[0], sizeof cands[0]) == 0;
    CHECK(r.rejected == planted && (chose_default || r.best_config.local[0] != o.test_wrong_local),
          "planted softmax candidate: %zu rejected of %zu planted, chosen local %zu", r.rejected, planted,
          r.best_config.local[0]);
}

/* Runs the op behind one stochastic / DropBlock / cutout kernel on x (NCHW
 * [2, 5, 11, 7]: 770 elements, a multiple of neither 3 nor 64) and downloads
 * every output it writes into out (2 x 770 floats: y, and DropBlock's mask). */
static void run_stochastic_op(clnn_context *ctx, const char *kernel, clnn_tensor *x, clnn_tensor *y,
                              clnn_tensor *mask, size_t n, float *out)
{
    clnn_status st;
    if (strcmp(kernel, "stochastic.group_mask") == 0) st = clnn_dropconnect_forward(ctx, x, 0.3f, 11, y);
    else if (strcmp(kernel, "stochastic.noise") == 0) st = clnn_noise_forward(ctx, x, CLNN_NOISE_MULTIPLICATIVE, 0.5f, 11, y);
    else if (strcmp(kernel, "stochastic.multiply") == 0) st = clnn_dropblock_backward(ctx, x, mask, y);
    else if (strcmp(kernel, "augment.cutout") == 0) st = clnn_cutout_forward(ctx, x, 5, 11, y);
    else st = clnn_dropblock_forward(ctx, x, 3, 0.8f, 11, mask, y); /* seeds, keep, count_ones_*, apply */
    CHECK_OK(ctx, st);
    CHECK_OK(ctx, clnn_tensor_download(y, out, n * sizeof *out));
    CHECK_OK(ctx, clnn_tensor_download(mask, out + n, n * sizeof *out));
}

/* The Philox-driven masks and noise (stochastic.group_mask, stochastic.noise,
 * every DropBlock kernel, augment.cutout) give the default configuration's
 * bits under forced local sizes the tuner's search space never offers (1, 3:
 * not a power of two, ragged groups) and 64. */
static void stochastic_forced_locals(clnn_context *ctx)
{
    static const char *kernels[] = {"stochastic.group_mask",        "stochastic.noise",
                                    "stochastic.dropblock_seeds",   "stochastic.dropblock_keep",
                                    "stochastic.count_ones_partial", "stochastic.count_ones_scale",
                                    "stochastic.dropblock_apply",   "stochastic.multiply",
                                    "augment.cutout"};
    static const size_t locals[] = {1, 3, 64};
    const size_t shape[4] = {2, 5, 11, 7}, n = 2 * 5 * 11 * 7;
    float *a = malloc(n * sizeof *a), *ref = malloc(2 * n * sizeof *ref), *got = malloc(2 * n * sizeof *got);
    REQUIRE(a && ref && got, "host memory");
    test_fill_uniform(a, n, 9, -3, 3);
    clnn_tensor *x = test_tensor_from(ctx, 4, shape, a), *y = test_tensor_from(ctx, 4, shape, a),
                *mask = test_tensor_from(ctx, 4, shape, a);
    size_t problem[2] = {n, 1}, compared = 0;
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
        /* the multiply's mask is the DropBlock forward's */
        CHECK_OK(ctx, clnn_dropblock_forward(ctx, x, 3, 0.8f, 11, mask, y));
        CHECK_OK(ctx, clnn_tensor_upload(y, a, n * sizeof *a));
        clnn_tune_set_mode(ctx, CLNN_TUNE_OFF); /* the default: the heuristic */
        run_stochastic_op(ctx, kernels[k], x, y, mask, n, ref);
        clnn_tune_set_mode(ctx, CLNN_TUNE_CACHED);
        for (size_t i = 0; i < sizeof locals / sizeof locals[0]; i++) {
            const size_t local = test_local_fit(ctx, kernels[k], NULL, locals[i]);
            clnn_tune_config cfg = {{local, 1, 1}, {0}};
            CHECK_OK(ctx, clnn_tune_force(ctx, kernels[k], &cfg));
            clnn_tune_match m;
            clnn_tune_config used;
            CHECK_OK(ctx, clnn_tune_resolve(ctx, kernels[k], problem, &used, &m));
            CHECK(m == CLNN_TUNE_MATCH_FORCED && used.local[0] == local, "%s: forced local %zu used (got %zu)",
                  kernels[k], local, used.local[0]);
            CHECK_OK(ctx, clnn_tensor_upload(y, a, n * sizeof *a));
            run_stochastic_op(ctx, kernels[k], x, y, mask, n, got);
            CHECK(memcmp(ref, got, 2 * n * sizeof *ref) == 0, "%s local %zu differs from the default", kernels[k],
                  local);
            CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
            compared++;
        }
    }
    printf("stochastic / DropBlock / cutout: %zu forced local sizes gave the default's bits\n", compared);
    CHECK(compared >= 2 * (sizeof kernels / sizeof kernels[0]), "only %zu forced configurations compared", compared);
    clnn_tensor_release(x);
    clnn_tensor_release(y);
    clnn_tensor_release(mask);
    free(a); free(ref); free(got);
}

/* A kernel whose default parameters need more local memory than the device
 * has: clnn_tune_force refuses that configuration with the reason, and a
 * launch falls back (with smaller parameters) instead of failing, counted
 * and explained. The radix sort's scatter with LANES=256 needs about 17 KiB
 * on PoCL: tests/CMakeLists.txt runs this test under the limits shim with 16
 * KiB too (rusticl's llvmpipe reports 34944 bytes against its 32 KiB). */
static void local_memory_fallback(clnn_context *ctx)
{
    const clnn_tune_config lanes256 = {{1, 1, 1}, {256}};
    clnn_tune_limits lim;
    CHECK_OK(ctx, clnn_tune_limits_get(ctx, "sparse.radix_scatter", &lanes256, &lim));
    if (lim.local_mem <= lim.device_local_mem) {
        char why[200];
        snprintf(why, sizeof why,
                 "local-memory fallback: sparse.radix_scatter LANES=256 needs %llu bytes of local memory, the device "
                 "has %llu",
                 lim.local_mem, lim.device_local_mem);
        test_skip(why);
        return;
    }
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, "clnn_tune_force", clnn_tune_force(ctx, "sparse.radix_scatter", &lanes256));
    CHECK(strstr(clnn_last_error(ctx), "local memory") != NULL, "the refusal says why: %s", clnn_last_error(ctx));
    const size_t n = 5000;
    float *h = malloc(n * sizeof *h), *out = malloc(n * sizeof *out);
    REQUIRE(h && out, "host memory");
    test_fill_uniform(h, n, 21, -100, 100);
    clnn_tensor *keys = test_tensor_from(ctx, 1, &n, h), *sorted = test_tensor_from(ctx, 1, &n, h);
    clnn_tune_fallbacks before, after;
    CHECK_OK(ctx, clnn_tune_fallbacks_get(ctx, &before));
    CHECK_OK(ctx, clnn_sort(ctx, keys, NULL, sorted, NULL));
    CHECK_OK(ctx, clnn_tune_fallbacks_get(ctx, &after));
    CHECK_OK(ctx, clnn_tensor_download(sorted, out, n * sizeof *out));
    size_t bad = 0;
    for (size_t i = 1; i < n; i++) bad += !(out[i - 1] <= out[i]);
    double sum_in = 0, sum_out = 0;
    for (size_t i = 0; i < n; i++) sum_in += h[i], sum_out += out[i];
    CHECK(bad == 0 && sum_in == sum_out, "sort after the fallback: %zu pairs out of order, sums %g vs %g", bad, sum_out,
          sum_in);
    CHECK(after.launches > before.launches && strstr(after.last, "sparse.radix_scatter") &&
              strstr(after.last, "LANES=256") && strstr(after.last, "CL_KERNEL_LOCAL_MEM_SIZE"),
          "%zu fallback launches (before %zu), note '%s'", after.launches, before.launches, after.last);
    clnn_tensor_release(keys);
    clnn_tensor_release(sorted);
    free(h);
    free(out);
}

/* A seconds budget stops the search: with a budget far below one candidate's
 * time only the default is timed (the same search without it times more),
 * and the result is still a valid one, no slower than the default. */
static void budget_seconds(clnn_context *ctx)
{
    size_t problem[2] = {test_small() ? 4096 : 65536, 1};
    static const clnn_tune_strategy strategies[] = {CLNN_TUNE_EXHAUSTIVE, CLNN_TUNE_RANDOM, CLNN_TUNE_ANNEALING};
    /* what each strategy times without a limit, from the device's space:
     * exhaustive all of it, random the default and 4 more, annealing at
     * least one neighbour of the default (it may stop where every
     * neighbour is slower) */
    const size_t space = expected_candidates(ctx, "tensor.scale", problem[0], 0,
                                             heuristic_local(ctx, "tensor.scale", problem));
    const size_t want[3] = {space, space < 5 ? space : 5, 2};
    if (space < 2) {
        test_skip("seconds budget: tensor.scale has a single configuration on this device");
        return;
    }
    for (size_t s = 0; s < 3; s++) {
        clnn_tune_options o;
        clnn_tune_options_init(&o);
        o.strategy = strategies[s];
        o.budget_count = 4;
        o.repeats = 1;
        o.warmup = 0;
        o.store = 0;
        clnn_tune_result full, cut;
        CHECK_OK(ctx, clnn_tune_kernel(ctx, "tensor.scale", problem, &o, &full));
        o.budget_seconds = 1e-9; /* over after the default */
        CHECK_OK(ctx, clnn_tune_kernel(ctx, "tensor.scale", problem, &o, &cut));
        CHECK(full.space == space && (s == 2 ? full.timed >= want[s] : full.timed == want[s]),
              "strategy %d without a time limit: %zu timed of %zu (want %zu of %zu)", (int)o.strategy, full.timed,
              full.space, want[s], space);
        CHECK(cut.timed == 1 && cut.rejected == 0 && cut.failed == 0,
              "strategy %d, budget 1 ns: %zu timed (%zu rejected, %zu failed), want the default alone",
              (int)o.strategy, cut.timed, cut.rejected, cut.failed);
        CHECK(cut.default_seconds > 0 && cut.best_seconds > 0 && cut.best_seconds <= cut.default_seconds,
              "strategy %d, budget 1 ns: best %g default %g", (int)o.strategy, cut.best_seconds, cut.default_seconds);
        CHECK(!cut.improved && memcmp(&cut.best_config, &cut.default_config, sizeof cut.best_config) == 0,
              "strategy %d, budget 1 ns: chose something other than the default", (int)o.strategy);
    }
}

/* The generic default of an elementwise kernel: 256 or the largest power of
 * two under the kernel's limit; on a GPU whose kernel limit is no power of
 * two, the largest multiple of its preferred multiple up to min(256, limit)
 * instead (limits_test_tune_wg96 runs this with a limit of 96). */
static void generic_default(clnn_context *ctx)
{
    clnn_device_info info;
    clnn_tune_limits lim;
    CHECK_OK(ctx, clnn_context_device(ctx, &info));
    CHECK_OK(ctx, clnn_tune_limits_get(ctx, "tensor.copy", NULL, &lim));
    size_t most = lim.max_local < 256 ? lim.max_local : 256, pow2 = 256;
    if (most > lim.max_sides[0]) most = lim.max_sides[0];
    while (pow2 > most) pow2 /= 2;
    size_t m = lim.preferred_multiple, want = pow2;
    if (info.type == CLNN_DEVICE_GPU && m > 1 && most / m * m > pow2) want = most / m * m;
    CHECK_OK(ctx, clnn_tune_set_mode(ctx, CLNN_TUNE_OFF));
    size_t problem[2] = {100000, 1};
    clnn_tune_config cfg;
    clnn_tune_match match;
    CHECK_OK(ctx, clnn_tune_resolve(ctx, "tensor.copy", problem, &cfg, &match));
    CHECK(match == CLNN_TUNE_MATCH_HEURISTIC && cfg.local[0] == want,
          "tensor.copy's generic default: match %d local %zu, expected %zu (kernel limit %zu, multiple %zu, %s)",
          (int)match, cfg.local[0], want, lim.max_local, m, info.type == CLNN_DEVICE_GPU ? "GPU" : "not a GPU");
    CHECK_OK(ctx, clnn_tune_set_mode(ctx, CLNN_TUNE_CACHED));
}

int main(void)
{
    clnn_context *ctx = test_context();
    generic_default(ctx);
    space_limits(ctx);
    seeded_strategies(ctx);
    budget_seconds(ctx);
    planted_wrong_candidate(ctx);
    tuned_equals_default(ctx);
    every_family_matches_default(ctx);
    stochastic_forced_locals(ctx);
    local_memory_fallback(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
