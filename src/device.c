/* Platform/device discovery, capabilities and the device key. Ranking and
 * selectors live in device_select.c. */
#include "internal.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static clnn_status device_list_locked(const char *fn, clnn__device_entry **entries, size_t *count);

/* Device enumeration is serialized: PoCL 3.1 initializes its platform on the
 * first clGetPlatformIDs/clGetDeviceIDs, and several threads doing that at
 * once crashed it (NULL device strings; tests/test_concurrency.c). Once the
 * first enumeration has returned, the runtime is initialized for everyone. */
static pthread_mutex_t device_list_lock = PTHREAD_MUTEX_INITIALIZER;

clnn_status clnn__device_list(const char *fn, clnn__device_entry **entries, size_t *count)
{
    pthread_mutex_lock(&device_list_lock);
    clnn_status st = device_list_locked(fn, entries, count);
    pthread_mutex_unlock(&device_list_lock);
    return st;
}

static clnn_status device_list_locked(const char *fn, clnn__device_entry **entries, size_t *count)
{
    *entries = NULL;
    *count = 0;
    cl_uint nplat = 0;
    cl_int err = clGetPlatformIDs(0, NULL, &nplat);
    if (err == -1001 /* CL_PLATFORM_NOT_FOUND_KHR: no ICD installed */ || nplat == 0) return CLNN_OK;
    if (err != CL_SUCCESS) return clnn__fail_cl(NULL, fn, "clGetPlatformIDs", err);
    cl_platform_id *plats = calloc(nplat, sizeof *plats);
    if (!plats) return clnn__fail(NULL, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory (device list)", fn);
    clGetPlatformIDs(nplat, plats, NULL);
    size_t total = 0, cap = 0;
    clnn__device_entry *list = NULL;
    for (cl_uint p = 0; p < nplat; p++) {
        cl_uint ndev = 0;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 0, NULL, &ndev) != CL_SUCCESS || ndev == 0)
            continue;
        cl_device_id *devs = calloc(ndev, sizeof *devs);
        if (!devs) break;
        clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, ndev, devs, NULL);
        for (cl_uint d = 0; d < ndev; d++) {
            if (total == cap) {
                size_t ncap = cap ? 2 * cap : 8;
                clnn__device_entry *n = realloc(list, ncap * sizeof *n);
                if (!n) break;
                list = n;
                cap = ncap;
            }
            list[total].platform = plats[p];
            list[total].device = devs[d];
            total++;
        }
        free(devs);
    }
    free(plats);
    *entries = list;
    *count = total;
    return CLNN_OK;
}

static void get_str(cl_device_id d, cl_device_info what, char *buf, size_t len)
{
    buf[0] = '\0';
    if (clGetDeviceInfo(d, what, len, buf, NULL) != CL_SUCCESS) buf[0] = '\0';
    buf[len - 1] = '\0';
}

static void strip(char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    size_t i = 0;
    while (s[i] && isspace((unsigned char)s[i])) i++;
    if (i) memmove(s, s + i, n - i + 1);
}

static cl_device_type device_cl_type(cl_device_id d)
{
    cl_device_type type = 0;
    if (clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof type, &type, NULL) != CL_SUCCESS) type = 0;
    return type;
}

static clnn_device_type device_type_of(cl_device_type cl_type)
{
    /* DEFAULT only marks the platform's default device (drivers report
     * GPU|DEFAULT); any other second bit means several kinds at once, as
     * Oclgrind's CPU|GPU|ACCELERATOR does: such a device must not pass for
     * a GPU (or CPU) in the heuristics that test info.type. */
    switch (cl_type & ~(cl_device_type)CL_DEVICE_TYPE_DEFAULT) {
    case CL_DEVICE_TYPE_GPU: return CLNN_DEVICE_GPU;
    case CL_DEVICE_TYPE_CPU: return CLNN_DEVICE_CPU;
    case CL_DEVICE_TYPE_ACCELERATOR: return CLNN_DEVICE_ACCELERATOR;
    default: return CLNN_DEVICE_OTHER;
    }
}

static int get_bool(cl_device_id d, cl_device_info what)
{
    cl_bool b = CL_FALSE;
    if (clGetDeviceInfo(d, what, sizeof b, &b, NULL) != CL_SUCCESS) return -1;
    return b == CL_TRUE;
}

void clnn__device_choice_facts(cl_device_id d, clnn_device_rank *r)
{
    r->cl_type = device_cl_type(d);
    /* deprecated since OpenCL 2.0 but still answered; unreadable counts as
     * discrete, the common case for a driver that lists a GPU of its own */
    r->host_unified_memory = get_bool(d, CL_DEVICE_HOST_UNIFIED_MEMORY) == 1;
    /* A query that fails counts as "no": the device is not used by default. */
    int device = get_bool(d, CL_DEVICE_AVAILABLE), compiler = get_bool(d, CL_DEVICE_COMPILER_AVAILABLE);
    r->available = device == 1 && compiler == 1;
    r->reason[0] = '\0';
    if (device != 1)
        snprintf(r->reason, sizeof r->reason, "unavailable: CL_DEVICE_AVAILABLE is %s",
                 device == 0 ? "false" : "unreadable");
    else if (compiler != 1)
        snprintf(r->reason, sizeof r->reason, "unavailable: no OpenCL C compiler (CL_DEVICE_COMPILER_AVAILABLE is %s)",
                 compiler == 0 ? "false" : "unreadable");
}

clnn_status clnn__device_describe(cl_platform_id platform, cl_device_id d, unsigned index,
                                  unsigned platform_index, clnn_device_info *info)
{
    memset(info, 0, sizeof *info);
    info->index = index;
    info->platform_index = platform_index;
    clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof info->platform_name, info->platform_name, NULL);
    clGetPlatformInfo(platform, CL_PLATFORM_VERSION, sizeof info->platform_version,
                      info->platform_version, NULL);
    info->platform_name[sizeof info->platform_name - 1] = '\0';
    info->platform_version[sizeof info->platform_version - 1] = '\0';
    get_str(d, CL_DEVICE_VENDOR, info->vendor, sizeof info->vendor);
    get_str(d, CL_DEVICE_NAME, info->name, sizeof info->name);
    get_str(d, CL_DRIVER_VERSION, info->driver_version, sizeof info->driver_version);
    get_str(d, CL_DEVICE_VERSION, info->opencl_version, sizeof info->opencl_version);
    get_str(d, CL_DEVICE_OPENCL_C_VERSION, info->opencl_c_version, sizeof info->opencl_c_version);
    strip(info->vendor);
    strip(info->name);
    strip(info->driver_version);

    info->type = device_type_of(device_cl_type(d));
    cl_uint u = 0;
    clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof u, &u, NULL);
    info->compute_units = u;
    u = 0;
    clGetDeviceInfo(d, CL_DEVICE_MAX_CLOCK_FREQUENCY, sizeof u, &u, NULL);
    info->clock_mhz = u;
    clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof info->max_work_group_size,
                    &info->max_work_group_size, NULL);
    u = 0;
    clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS, sizeof u, &u, NULL);
    info->max_work_item_dims = u;
    size_t sizes[16] = {0};
    if (u > 0 && u <= 16) clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_ITEM_SIZES, u * sizeof(size_t), sizes, NULL);
    for (int i = 0; i < 3; i++) info->max_work_item_sizes[i] = sizes[i] ? sizes[i] : 1;

    cl_ulong ul = 0;
    clGetDeviceInfo(d, CL_DEVICE_LOCAL_MEM_SIZE, sizeof ul, &ul, NULL);
    info->local_mem_size = ul;
    cl_device_local_mem_type lt = CL_GLOBAL;
    clGetDeviceInfo(d, CL_DEVICE_LOCAL_MEM_TYPE, sizeof lt, &lt, NULL);
    info->local_mem_dedicated = lt == CL_LOCAL;
    ul = 0;
    clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof ul, &ul, NULL);
    info->global_mem_size = ul;
    ul = 0;
    clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof ul, &ul, NULL);
    info->max_alloc_size = ul;

    size_t ext_len = 0;
    clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, 0, NULL, &ext_len);
    char *ext = calloc(ext_len + 1, 1);
    if (ext) {
        clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, ext_len, ext, NULL);
        info->has_fp16 = strstr(ext, "cl_khr_fp16") != NULL;
        info->has_fp64 = strstr(ext, "cl_khr_fp64") != NULL;
        info->has_subgroups = strstr(ext, "cl_khr_subgroups") != NULL ||
                              strstr(ext, "cl_intel_subgroups") != NULL;
        free(ext);
    }
    snprintf(info->key, sizeof info->key, "%s|%s|%s|%u", info->vendor, info->name,
             info->driver_version, info->compute_units);
    return CLNN_OK;
}

clnn_status clnn_device_count(size_t *count)
{
    CLNN_ENTRY_NO_CONTEXT();
    if (!count) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: count is NULL", fn);
    clnn__device_entry *list;
    TRY(clnn__device_list(fn, &list, count));
    free(list);
    return CLNN_OK;
}

unsigned clnn__device_platform_index(const clnn__device_entry *list, size_t i)
{
    unsigned p = 0;
    for (size_t j = 1; j <= i; j++)
        if (list[j].platform != list[j - 1].platform) p++;
    return p;
}

clnn_status clnn__check_device_index(const char *fn, size_t index, size_t n)
{
    if (index < n) return CLNN_OK;
    return clnn__fail(NULL, CLNN_ERR_DEVICE_NOT_FOUND, "%s: index %zu is out of range (%zu devices)", fn, index, n);
}

clnn_status clnn_device_info_get(size_t index, clnn_device_info *info)
{
    CLNN_ENTRY_NO_CONTEXT();
    if (!info) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: info is NULL", fn);
    clnn__device_entry *list;
    size_t n;
    TRY(clnn__device_list(fn, &list, &n));
    clnn_status st = clnn__check_device_index(fn, index, n);
    if (st == CLNN_OK)
        st = clnn__device_describe(list[index].platform, list[index].device, (unsigned)index,
                                   clnn__device_platform_index(list, index), info);
    free(list);
    return st;
}
