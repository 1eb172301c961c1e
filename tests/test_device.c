/* Device enumeration and selection (API and CLNN_DEVICE) on the devices this
 * machine has. The ranking rules themselves are tested on fake devices in
 * test_device_rank.c; here: the real devices are described, ranked
 * consistently, and selected by those ranks. */
#define _GNU_SOURCE
#include "check.h"

#include <strings.h>

/* The best-ranked available device of this type (0: any type but OTHER), or -1. */
static int best_ranked(const clnn_device_info *infos, const clnn_device_rank *ranks, size_t n,
                       clnn_device_type type)
{
    int best = -1;
    for (size_t i = 0; i < n; i++) {
        int fits = type ? infos[i].type == type : infos[i].type != CLNN_DEVICE_OTHER;
        if (fits && ranks[i].available && (best < 0 || ranks[i].rank < ranks[best].rank)) best = (int)i;
    }
    return best;
}

/* Reads each device's description and rank into infos and ranks: ranks
 * 0..n-1 once each, a reason for each, and the fields a device must fill in. */
static void describe_devices(clnn_device_info *infos, clnn_device_rank *ranks, size_t n)
{
    unsigned rank_seen = 0; /* bit r: some device has rank r */
    for (size_t i = 0; i < n; i++) {
        CHECK_OK(NULL, clnn_device_info_get(i, &infos[i]));
        CHECK_OK(NULL, clnn_device_rank_get(i, &ranks[i]));
        const clnn_device_rank *r = &ranks[i];
        CHECK(r->index == i && r->rank < n, "device %zu: rank index %u, rank %u", i, r->index, r->rank);
        if (r->rank < n) rank_seen |= 1u << r->rank;
        CHECK(r->reason[0] != '\0', "device %zu has no rank reason", i);
        CHECK(r->available || strncmp(r->reason, "unavailable", 11) == 0, "device %zu: unavailable, reason '%s'", i,
              r->reason);
        CHECK((infos[i].type == CLNN_DEVICE_OTHER) == (strstr(r->reason, "chosen only by name or index") != NULL) ||
                  !r->available,
              "device %zu: type %d, reason '%s'", i, infos[i].type, r->reason);
        const clnn_device_info *d = &infos[i];
        CHECK(d->index == i, "index %u at position %zu", d->index, i);
        CHECK(d->name[0] && d->vendor[0] && d->driver_version[0], "device %zu lacks name/vendor/driver", i);
        CHECK(strncmp(d->opencl_version, "OpenCL ", 7) == 0, "version '%s'", d->opencl_version);
        CHECK(d->compute_units >= 1, "compute units %u", d->compute_units);
        CHECK(d->max_work_group_size >= 1 && d->max_work_item_sizes[0] >= 1, "work-group limits");
        CHECK(d->global_mem_size >= d->max_alloc_size && d->max_alloc_size > 0, "memory sizes");
        CHECK(d->local_mem_size > 0, "local memory size");
        CHECK(strstr(d->key, d->name) && strstr(d->key, d->vendor) && strstr(d->key, d->driver_version),
              "key '%s' must contain vendor, name and driver", d->key);
    }
    CHECK(rank_seen == (n == 32 ? ~0u : (1u << n) - 1), "ranks are not 0..%zu once each (0x%x)", n - 1, rank_seen);
    clnn_device_info bad;
    CHECK(clnn_device_info_get(n + 5, &bad) == CLNN_ERR_DEVICE_NOT_FOUND, "out-of-range index");
    clnn_device_rank bad_rank;
    CHECK(clnn_device_rank_get(n + 5, &bad_rank) == CLNN_ERR_DEVICE_NOT_FOUND, "out-of-range rank index");
}

/* explicit selectors: an index means the discovery position; an
 * unavailable device's index is refused */
static size_t explicit_selectors(const clnn_device_rank *ranks, size_t n)
{
    size_t idx = 99, usable = n;
    char sel[16];
    for (size_t i = 0; i < n; i++) {
        snprintf(sel, sizeof sel, "%zu", i);
        if (ranks[i].available) {
            CHECK_OK(NULL, clnn_device_select(sel, &idx));
            CHECK(idx == i, "'%s' selected %zu", sel, idx);
            if (usable == n) usable = i;
        } else {
            CHECK(clnn_device_select(sel, &idx) == CLNN_ERR_DEVICE_NOT_FOUND, "'%s' is unavailable", sel);
        }
    }
    REQUIRE(usable < n, "no available device");
    return usable;
}

/* "cpu", "gpu" (any case) select the best-ranked device of the type; a
 * substring of a name and a vendor word select a device that has it */
static void selectors_by_type_and_name(const clnn_device_info *infos, const clnn_device_rank *ranks, size_t n,
                                       size_t usable)
{
    size_t idx = 99;
    int best_cpu = best_ranked(infos, ranks, n, CLNN_DEVICE_CPU);
    int best_gpu = best_ranked(infos, ranks, n, CLNN_DEVICE_GPU);
    if (best_cpu >= 0) {
        CHECK_OK(NULL, clnn_device_select("cpu", &idx));
        CHECK(idx == (size_t)best_cpu, "'cpu' selected %zu, expected %d", idx, best_cpu);
        CHECK_OK(NULL, clnn_device_select("CPU", &idx));
        CHECK(idx == (size_t)best_cpu, "selector is case-insensitive");
    }
    if (best_gpu >= 0) {
        CHECK_OK(NULL, clnn_device_select("gpu", &idx));
        CHECK(idx == (size_t)best_gpu, "'gpu' selected %zu, expected %d", idx, best_gpu);
    } else {
        CHECK(clnn_device_select("gpu", &idx) == CLNN_ERR_DEVICE_NOT_FOUND, "'gpu' with no GPU must fail");
    }
    /* substring of an available device's name selects a device with that substring */
    const char *name = infos[usable].name;
    char sub[8] = {0};
    strncpy(sub, name + (strlen(name) > 4 ? 2 : 0), 4);
    CHECK_OK(NULL, clnn_device_select(sub, &idx));
    CHECK(idx < n && (strcasestr(infos[idx].name, sub) || strcasestr(infos[idx].vendor, sub) ||
                      strcasestr(infos[idx].platform_name, sub)),
          "substring '%s' selected %zu", sub, idx);
    /* a vendor word selects */
    char vendor_word[32] = {0};
    sscanf(infos[usable].vendor, "%31s", vendor_word);
    CHECK_OK(NULL, clnn_device_select(vendor_word, &idx));
}

/* a selector that matches nothing lists the devices */
static void unmatched_selectors(const clnn_device_info *infos, size_t n)
{
    size_t idx = 99;
    CHECK(clnn_device_select("no-such-device-xyz", &idx) == CLNN_ERR_DEVICE_NOT_FOUND, "bogus selector");
    const char *msg = clnn_last_error(NULL);
    CHECK(strstr(msg, "no-such-device-xyz") && strstr(msg, infos[0].name), "message lists devices: %s", msg);
    /* a selector of 5000 characters: quoted short, the device list still whole */
    char *longsel = malloc(5001);
    REQUIRE(longsel, "host memory");
    memset(longsel, 'q', 5000);
    longsel[5000] = '\0';
    CHECK(clnn_device_select(longsel, &idx) == CLNN_ERR_DEVICE_NOT_FOUND, "5000-character selector");
    msg = clnn_last_error(NULL);
    CHECK(strstr(msg, "(5000 characters)") && strstr(msg, "devices:") && strstr(msg, infos[n - 1].name),
          "a long selector keeps the device list: %.300s", msg);
    free(longsel);
    char toobig[16];
    snprintf(toobig, sizeof toobig, "%zu", n);
    CHECK(clnn_device_select(toobig, &idx) == CLNN_ERR_DEVICE_NOT_FOUND, "index past the end");
}

/* CLNN_DEVICE drives the default; the API selector wins over it */
static void environment_selector(const clnn_device_info *infos, const clnn_device_rank *ranks, size_t n,
                                 size_t usable)
{
    size_t idx = 99;
    char sel[16];
    int best_gpu = best_ranked(infos, ranks, n, CLNN_DEVICE_GPU);
    int best_any = best_ranked(infos, ranks, n, 0);
    setenv("CLNN_DEVICE", "no-such-device-xyz", 1);
    clnn_context *ctx = NULL;
    CHECK(clnn_context_create(NULL, &ctx) == CLNN_ERR_DEVICE_NOT_FOUND && ctx == NULL, "env selector");
    CHECK(strstr(clnn_last_error(NULL), "CLNN_DEVICE") != NULL, "message names CLNN_DEVICE: %s",
          clnn_last_error(NULL));
    snprintf(sel, sizeof sel, "%zu", usable);
    CHECK_OK(NULL, clnn_context_create(sel, &ctx));
    clnn_context_release(ctx);
    ctx = NULL;
    setenv("CLNN_DEVICE", sel, 1);
    CHECK_OK(NULL, clnn_context_create(NULL, &ctx));
    clnn_device_info got;
    CHECK_OK(ctx, clnn_context_device(ctx, &got));
    CHECK(got.index == usable && strcmp(got.key, infos[usable].key) == 0, "CLNN_DEVICE=%s gave %u", sel, got.index);
    CHECK(got.type == infos[usable].type, "the context's device type %d, the list's %d", got.type,
          infos[usable].type);
    clnn_context_release(ctx);
    unsetenv("CLNN_DEVICE");
    if (best_any >= 0) {
        CHECK_OK(NULL, clnn_device_select(NULL, &idx));
        CHECK(idx == (size_t)best_any, "default selected %zu, expected the best-ranked %d", idx, best_any);
        CHECK(best_gpu < 0 || idx == (size_t)best_gpu, "default %zu is not the best GPU %d", idx, best_gpu);
    } else {
        CHECK(clnn_device_select(NULL, &idx) == CLNN_ERR_DEVICE_NOT_FOUND, "no device for the default");
    }
}

int main(void)
{
    size_t n = 0;
    CHECK_OK(NULL, clnn_device_count(&n));
    REQUIRE(n >= 1, "no OpenCL device: install pocl-opencl-icd");
    clnn_device_info infos[32];
    clnn_device_rank ranks[32];
    REQUIRE(n <= 32, "%zu devices: this test looks at 32 at most", n);
    describe_devices(infos, ranks, n);
    size_t usable = explicit_selectors(ranks, n);
    selectors_by_type_and_name(infos, ranks, n, usable);
    unmatched_selectors(infos, n);
    environment_selector(infos, ranks, n, usable);
    return check_summary();
}
