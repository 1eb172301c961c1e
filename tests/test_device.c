/* Device enumeration and selection (API and CLNN_DEVICE). */
#define _GNU_SOURCE
#include "check.h"

#include <strings.h>

static int find_first(const clnn_device_info *infos, size_t n, clnn_device_type type)
{
    for (size_t i = 0; i < n; i++)
        if (infos[i].type == type) return (int)i;
    return -1;
}

int main(void)
{
    size_t n = 0;
    CHECK_OK(NULL, clnn_device_count(&n));
    REQUIRE(n >= 1, "no OpenCL device: install pocl-opencl-icd");
    clnn_device_info infos[32];
    if (n > 32) n = 32;
    for (size_t i = 0; i < n; i++) {
        CHECK_OK(NULL, clnn_device_info_get(i, &infos[i]));
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
    clnn_device_info bad;
    CHECK(clnn_device_info_get(n + 5, &bad) == CLNN_ERR_DEVICE_NOT_FOUND, "out-of-range index");

    /* explicit selectors */
    size_t idx = 99;
    CHECK_OK(NULL, clnn_device_select("0", &idx));
    CHECK(idx == 0, "'0' selected %zu", idx);
    int first_cpu = find_first(infos, n, CLNN_DEVICE_CPU);
    int first_gpu = find_first(infos, n, CLNN_DEVICE_GPU);
    if (first_cpu >= 0) {
        CHECK_OK(NULL, clnn_device_select("cpu", &idx));
        CHECK(idx == (size_t)first_cpu, "'cpu' selected %zu, expected %d", idx, first_cpu);
        CHECK_OK(NULL, clnn_device_select("CPU", &idx));
        CHECK(idx == (size_t)first_cpu, "selector is case-insensitive");
    }
    if (first_gpu < 0) {
        CHECK(clnn_device_select("gpu", &idx) == CLNN_ERR_DEVICE_NOT_FOUND, "'gpu' with no GPU must fail");
    }
    /* substring of the last device's name selects a device with that substring */
    const char *name = infos[n - 1].name;
    char sub[8] = {0};
    strncpy(sub, name + (strlen(name) > 4 ? 2 : 0), 4);
    CHECK_OK(NULL, clnn_device_select(sub, &idx));
    CHECK(idx < n && (strcasestr(infos[idx].name, sub) || strcasestr(infos[idx].vendor, sub) ||
                      strcasestr(infos[idx].platform_name, sub)),
          "substring '%s' selected %zu", sub, idx);
    /* a vendor word selects */
    char vendor_word[32] = {0};
    sscanf(infos[0].vendor, "%31s", vendor_word);
    CHECK_OK(NULL, clnn_device_select(vendor_word, &idx));

    /* a selector that matches nothing lists the devices */
    CHECK(clnn_device_select("no-such-device-xyz", &idx) == CLNN_ERR_DEVICE_NOT_FOUND, "bogus selector");
    const char *msg = clnn_last_error(NULL);
    CHECK(strstr(msg, "no-such-device-xyz") && strstr(msg, infos[0].name), "message lists devices: %s", msg);
    char toobig[16];
    snprintf(toobig, sizeof toobig, "%zu", n);
    CHECK(clnn_device_select(toobig, &idx) == CLNN_ERR_DEVICE_NOT_FOUND, "index past the end");

    /* CLNN_DEVICE drives the default; the API selector wins over it */
    setenv("CLNN_DEVICE", "no-such-device-xyz", 1);
    clnn_context *ctx = NULL;
    CHECK(clnn_context_create(NULL, &ctx) == CLNN_ERR_DEVICE_NOT_FOUND && ctx == NULL, "env selector");
    CHECK(strstr(clnn_last_error(NULL), "CLNN_DEVICE") != NULL, "message names CLNN_DEVICE: %s",
          clnn_last_error(NULL));
    CHECK_OK(NULL, clnn_context_create("0", &ctx));
    clnn_context_release(ctx);
    ctx = NULL;
    setenv("CLNN_DEVICE", "0", 1);
    CHECK_OK(NULL, clnn_context_create(NULL, &ctx));
    clnn_device_info got;
    CHECK_OK(ctx, clnn_context_device(ctx, &got));
    CHECK(got.index == 0 && strcmp(got.key, infos[0].key) == 0, "CLNN_DEVICE=0 gave %u", got.index);
    clnn_context_release(ctx);
    unsetenv("CLNN_DEVICE");
    CHECK_OK(NULL, clnn_device_select(NULL, &idx));
    CHECK(idx == (size_t)(first_gpu >= 0 ? first_gpu : 0), "default is first GPU else first device");
    return check_summary();
}
