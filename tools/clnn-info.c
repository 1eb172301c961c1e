/* clnn-info: lists OpenCL platforms and devices with their capabilities and
 * their rank (the order clnn_device_select prefers them in, with the reason),
 * and marks the device that CLNN_DEVICE (or --device) selects. --json for machines.
 * --build-all builds every kernel program on the selected device. */
#include <clnn/clnn.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *type_name(clnn_device_type t)
{
    return t == CLNN_DEVICE_GPU ? "gpu" : t == CLNN_DEVICE_CPU ? "cpu"
                                      : t == CLNN_DEVICE_ACCELERATOR ? "accelerator" : "other";
}

static void print_text(const clnn_device_info *d, const clnn_device_rank *r, int selected)
{
    printf("%s[%u] %s\n", selected ? "* " : "  ", d->index, d->name);
    printf("      rank            %u: %s\n", r->rank, r->reason);
    printf("      platform        %u: %s (%s)\n", d->platform_index, d->platform_name, d->platform_version);
    printf("      vendor          %s\n", d->vendor);
    printf("      driver          %s\n", d->driver_version);
    printf("      version         %s / %s\n", d->opencl_version, d->opencl_c_version);
    printf("      type            %s (CL_DEVICE_TYPE 0x%llx)\n", type_name(d->type), r->cl_type);
    printf("      compute units   %u @ %u MHz\n", d->compute_units, d->clock_mhz);
    printf("      work-group      max %zu, item sizes %zu x %zu x %zu\n", d->max_work_group_size,
           d->max_work_item_sizes[0], d->max_work_item_sizes[1], d->max_work_item_sizes[2]);
    printf("      local memory    %llu KiB (%s)\n", d->local_mem_size / 1024,
           d->local_mem_dedicated ? "dedicated" : "emulated in global");
    printf("      global memory   %.2f GiB, max allocation %.2f GiB\n", (double)d->global_mem_size / (1 << 30),
           (double)d->max_alloc_size / (1 << 30));
    printf("      fp16 %s, fp64 %s, subgroups %s\n", d->has_fp16 ? "yes" : "no", d->has_fp64 ? "yes" : "no",
           d->has_subgroups ? "yes" : "no");
    printf("      key             %s\n", d->key);
}

static cJSON *to_json(const clnn_device_info *d, const clnn_device_rank *r, int selected)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", d->index);
    cJSON_AddBoolToObject(o, "selected", selected);
    cJSON_AddNumberToObject(o, "rank", r->rank);
    cJSON_AddStringToObject(o, "rank_reason", r->reason);
    cJSON_AddBoolToObject(o, "available", r->available);
    cJSON_AddNumberToObject(o, "platform_index", d->platform_index);
    cJSON_AddStringToObject(o, "platform_name", d->platform_name);
    cJSON_AddStringToObject(o, "platform_version", d->platform_version);
    cJSON_AddStringToObject(o, "vendor", d->vendor);
    cJSON_AddStringToObject(o, "name", d->name);
    cJSON_AddStringToObject(o, "driver_version", d->driver_version);
    cJSON_AddStringToObject(o, "opencl_version", d->opencl_version);
    cJSON_AddStringToObject(o, "opencl_c_version", d->opencl_c_version);
    cJSON_AddStringToObject(o, "type", type_name(d->type));
    cJSON_AddNumberToObject(o, "cl_device_type", (double)r->cl_type);
    cJSON_AddBoolToObject(o, "host_unified_memory", r->host_unified_memory);
    cJSON_AddNumberToObject(o, "compute_units", d->compute_units);
    cJSON_AddNumberToObject(o, "clock_mhz", d->clock_mhz);
    cJSON_AddNumberToObject(o, "max_work_group_size", (double)d->max_work_group_size);
    cJSON *sizes = cJSON_AddArrayToObject(o, "max_work_item_sizes");
    for (int i = 0; i < 3; i++) cJSON_AddItemToArray(sizes, cJSON_CreateNumber((double)d->max_work_item_sizes[i]));
    cJSON_AddNumberToObject(o, "local_mem_size", (double)d->local_mem_size);
    cJSON_AddBoolToObject(o, "local_mem_dedicated", d->local_mem_dedicated);
    cJSON_AddNumberToObject(o, "global_mem_size", (double)d->global_mem_size);
    cJSON_AddNumberToObject(o, "max_alloc_size", (double)d->max_alloc_size);
    cJSON_AddBoolToObject(o, "fp16", d->has_fp16);
    cJSON_AddBoolToObject(o, "fp64", d->has_fp64);
    cJSON_AddBoolToObject(o, "subgroups", d->has_subgroups);
    cJSON_AddStringToObject(o, "key", d->key);
    return o;
}

/* Builds every shipped program with its default options: what a driver's
 * compiler says about clnn's kernels, before any of them runs. */
static int build_all(const char *selector)
{
    clnn_context *ctx;
    if (clnn_context_create(selector, &ctx) != CLNN_OK) {
        fprintf(stderr, "clnn-info: %s\n", clnn_last_error(NULL));
        return 1;
    }
    clnn_device_info d;
    clnn_context_device(ctx, &d);
    clnn_cache_stats before, after;
    clnn_context_cache_stats(ctx, &before);
    clnn_status st = clnn_context_build_all(ctx);
    clnn_context_cache_stats(ctx, &after);
    if (st != CLNN_OK) {
        fprintf(stderr, "clnn-info: build on %s failed: %s\n", d.name, clnn_last_error(ctx));
    } else {
        printf("built %lu programs on %s in %.2f s (%lu from source, %lu from the binary cache)\n",
               after.source_builds + after.disk_hits - before.source_builds - before.disk_hits, d.name,
               after.build_seconds - before.build_seconds, after.source_builds - before.source_builds,
               after.disk_hits - before.disk_hits);
    }
    clnn_context_release(ctx);
    return st == CLNN_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    int json = 0, build = 0;
    const char *selector = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (strcmp(argv[i], "--build-all") == 0) build = 1;
        else if (strcmp(argv[i], "--device") == 0 && i + 1 < argc) selector = argv[++i];
        else {
            fprintf(stderr, "usage: clnn-info [--json] [--device SELECTOR]\n"
                            "       clnn-info --build-all [--device SELECTOR]\n"
                            "  lists OpenCL devices with their rank and its reason; '*' marks the one\n"
                            "  that --device, else CLNN_DEVICE, else the default (the best-ranked) selects;\n"
                            "  --build-all builds every kernel program on that device\n");
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (build) return build_all(selector);
    size_t n = 0, selected = (size_t)-1;
    if (clnn_device_count(&n) != CLNN_OK) {
        fprintf(stderr, "clnn-info: %s\n", clnn_last_error(NULL));
        return 1;
    }
    const char *select_error = NULL;
    if (n > 0 && clnn_device_select(selector, &selected) != CLNN_OK) select_error = clnn_last_error(NULL);

    cJSON *root = json ? cJSON_CreateObject() : NULL;
    cJSON *arr = json ? cJSON_AddArrayToObject(root, "devices") : NULL;
    if (json) cJSON_AddStringToObject(root, "clnn_version", clnn_version());
    if (!json) printf("clnn %s: %zu OpenCL device(s)\n", clnn_version(), n);
    for (size_t i = 0; i < n; i++) {
        clnn_device_info d;
        clnn_device_rank r;
        if (clnn_device_info_get(i, &d) != CLNN_OK || clnn_device_rank_get(i, &r) != CLNN_OK) continue;
        if (json) cJSON_AddItemToArray(arr, to_json(&d, &r, i == selected));
        else print_text(&d, &r, i == selected);
    }
    if (json) {
        if (select_error) cJSON_AddStringToObject(root, "selection_error", select_error);
        char *s = cJSON_Print(root);
        printf("%s\n", s);
        free(s);
        cJSON_Delete(root);
    } else if (select_error) {
        printf("selection: %s\n", select_error);
    } else if (n > 0) {
        const char *env = getenv("CLNN_DEVICE");
        if (selector && *selector) printf("selected: [%zu] (--device %s)\n", selected, selector);
        else if (env && *env) printf("selected: [%zu] (CLNN_DEVICE=%s)\n", selected, env);
        else printf("selected: [%zu] (the default: best-ranked GPU, CPU or accelerator; CLNN_DEVICE unset)\n", selected);
    }
    return n == 0 || select_error ? 1 : 0;
}
