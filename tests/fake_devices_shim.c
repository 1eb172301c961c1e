/* LD_PRELOAD shim that replaces every OpenCL platform and device with a list
 * described in the environment, so that device ranking and selection are
 * tested against GPUs, simulators and unavailable devices this machine does
 * not have. Only discovery and description are faked (clGetPlatformIDs,
 * clGetPlatformInfo, clGetDeviceIDs, clGetDeviceInfo): a program under it
 * must not create a context.
 *
 * CLNN_FAKE_DEVICES lists devices separated by ';', each a ','-separated list
 * of key=value (no ',' or ';' inside values):
 *   platform=NAME   platform name (devices with the same name share one
 *                   platform; platforms in order of first appearance)
 *   type=cpu|gpu|accelerator|custom|default, '|'-joined (CL_DEVICE_TYPE bits)
 *   vendor=, name=, driver=  strings (CL_DEVICE_VENDOR, _NAME, CL_DRIVER_VERSION)
 *   available=0|1, compiler=0|1, unified=0|1  (CL_DEVICE_AVAILABLE,
 *                   CL_DEVICE_COMPILER_AVAILABLE, CL_DEVICE_HOST_UNIFIED_MEMORY)
 *   cu=N, mhz=N     compute units, clock
 * Discovery order is platform by platform, devices in the order written
 * within each; write a platform's devices together and the index of a device
 * is its position in the list. Unset or empty: no platform at all (the
 * loader's CL_PLATFORM_NOT_FOUND_KHR). The variable is read again whenever it
 * changed, so one test program can go through several lists. A malformed list
 * aborts with a message: a test must not run on a list it did not mean. */
#define _GNU_SOURCE
#include <CL/cl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DEVICES 16
#define MAX_TEXT 128

typedef struct fake_platform {
    char name[MAX_TEXT];
} fake_platform;

typedef struct fake_device {
    int platform;
    cl_device_type type;
    char vendor[MAX_TEXT], name[MAX_TEXT], driver[MAX_TEXT];
    cl_bool available, compiler, unified;
    cl_uint cu, mhz;
} fake_device;

static fake_platform platforms[MAX_DEVICES];
static fake_device devices[MAX_DEVICES];
static int nplatforms, ndevices;
static char parsed[4096] = "\x01"; /* the list last parsed; never a real value at first */

static void die(const char *what, const char *text)
{
    fprintf(stderr, "fake_devices_shim: %s: '%s'\n", what, text);
    abort();
}

static void copy_text(char *dst, const char *src)
{
    if (strlen(src) >= MAX_TEXT) die("value too long", src);
    strcpy(dst, src);
}

static cl_device_type parse_type(char *words)
{
    cl_device_type t = 0;
    for (char *save = NULL, *w = strtok_r(words, "|", &save); w; w = strtok_r(NULL, "|", &save)) {
        if (strcasecmp(w, "cpu") == 0) t |= CL_DEVICE_TYPE_CPU;
        else if (strcasecmp(w, "gpu") == 0) t |= CL_DEVICE_TYPE_GPU;
        else if (strcasecmp(w, "accelerator") == 0) t |= CL_DEVICE_TYPE_ACCELERATOR;
        else if (strcasecmp(w, "custom") == 0) t |= CL_DEVICE_TYPE_CUSTOM;
        else if (strcasecmp(w, "default") == 0) t |= CL_DEVICE_TYPE_DEFAULT;
        else die("unknown type", w);
    }
    return t;
}

static int platform_named(const char *name)
{
    for (int p = 0; p < nplatforms; p++)
        if (strcmp(platforms[p].name, name) == 0) return p;
    copy_text(platforms[nplatforms].name, name);
    return nplatforms++;
}

static void parse_device(char *spec)
{
    if (ndevices == MAX_DEVICES) die("too many devices", spec);
    fake_device *d = &devices[ndevices++];
    *d = (fake_device){.type = CL_DEVICE_TYPE_CPU, .available = CL_TRUE, .compiler = CL_TRUE, .cu = 1, .mhz = 1000};
    strcpy(d->vendor, "Fake Vendor");
    strcpy(d->name, "Fake Device");
    strcpy(d->driver, "1.0");
    char platform[MAX_TEXT] = "Fake Platform";
    for (char *save = NULL, *kv = strtok_r(spec, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) die("expected key=value", kv);
        *eq = '\0';
        const char *k = kv;
        char *v = eq + 1;
        if (strcmp(k, "platform") == 0) copy_text(platform, v);
        else if (strcmp(k, "type") == 0) d->type = parse_type(v);
        else if (strcmp(k, "vendor") == 0) copy_text(d->vendor, v);
        else if (strcmp(k, "name") == 0) copy_text(d->name, v);
        else if (strcmp(k, "driver") == 0) copy_text(d->driver, v);
        else if (strcmp(k, "available") == 0) d->available = atoi(v) ? CL_TRUE : CL_FALSE;
        else if (strcmp(k, "compiler") == 0) d->compiler = atoi(v) ? CL_TRUE : CL_FALSE;
        else if (strcmp(k, "unified") == 0) d->unified = atoi(v) ? CL_TRUE : CL_FALSE;
        else if (strcmp(k, "cu") == 0) d->cu = (cl_uint)strtoul(v, NULL, 10);
        else if (strcmp(k, "mhz") == 0) d->mhz = (cl_uint)strtoul(v, NULL, 10);
        else die("unknown key", k);
    }
    d->platform = platform_named(platform);
}

/* Re-reads CLNN_FAKE_DEVICES when it changed since the last call. */
static void load(void)
{
    const char *env = getenv("CLNN_FAKE_DEVICES");
    if (!env) env = "";
    if (strcmp(env, parsed) == 0) return;
    if (strlen(env) >= sizeof parsed) die("CLNN_FAKE_DEVICES too long", env);
    strcpy(parsed, env);
    char work[sizeof parsed];
    strcpy(work, env);
    nplatforms = ndevices = 0;
    for (char *save = NULL, *spec = strtok_r(work, ";", &save); spec; spec = strtok_r(NULL, ";", &save))
        parse_device(spec);
}

/* Handles are addresses inside the tables above. */
static int platform_of(cl_platform_id id)
{
    for (int p = 0; p < nplatforms; p++)
        if ((void *)id == (void *)&platforms[p]) return p;
    return -1;
}

static fake_device *device_of(cl_device_id id)
{
    for (int i = 0; i < ndevices; i++)
        if ((void *)id == (void *)&devices[i]) return &devices[i];
    return NULL;
}

/* The clGet*Info contract: the size needed, and the value when it fits. */
static cl_int answer(const void *src, size_t n, size_t size, void *value, size_t *size_ret)
{
    if (size_ret) *size_ret = n;
    if (!value) return CL_SUCCESS;
    if (size < n) return CL_INVALID_VALUE;
    memcpy(value, src, n);
    return CL_SUCCESS;
}

static cl_int answer_text(const char *s, size_t size, void *value, size_t *size_ret)
{
    return answer(s, strlen(s) + 1, size, value, size_ret);
}

CL_API_ENTRY cl_int CL_API_CALL clGetPlatformIDs(cl_uint num_entries, cl_platform_id *ids, cl_uint *num_platforms)
{
    load();
    if ((!ids && !num_platforms) || (ids && num_entries == 0)) return CL_INVALID_VALUE;
    if (num_platforms) *num_platforms = (cl_uint)nplatforms;
    for (cl_uint p = 0; ids && p < num_entries && p < (cl_uint)nplatforms; p++)
        ids[p] = (cl_platform_id)(void *)&platforms[p];
    return nplatforms ? CL_SUCCESS : -1001 /* CL_PLATFORM_NOT_FOUND_KHR */;
}

CL_API_ENTRY cl_int CL_API_CALL clGetPlatformInfo(cl_platform_id id, cl_platform_info what, size_t size, void *value,
                                                  size_t *size_ret)
{
    load();
    int p = platform_of(id);
    if (p < 0) return CL_INVALID_PLATFORM;
    switch (what) {
    case CL_PLATFORM_NAME: return answer_text(platforms[p].name, size, value, size_ret);
    case CL_PLATFORM_VENDOR: return answer_text("Fake Platform Vendor", size, value, size_ret);
    case CL_PLATFORM_VERSION: return answer_text("OpenCL 1.2 fake", size, value, size_ret);
    case CL_PLATFORM_PROFILE: return answer_text("FULL_PROFILE", size, value, size_ret);
    case CL_PLATFORM_EXTENSIONS: return answer_text("", size, value, size_ret);
    default: return CL_INVALID_VALUE;
    }
}

CL_API_ENTRY cl_int CL_API_CALL clGetDeviceIDs(cl_platform_id id, cl_device_type type, cl_uint num_entries,
                                               cl_device_id *ids, cl_uint *num_devices)
{
    load();
    int p = platform_of(id);
    if (p < 0) return CL_INVALID_PLATFORM;
    if ((!ids && !num_devices) || (ids && num_entries == 0)) return CL_INVALID_VALUE;
    cl_uint n = 0;
    for (int i = 0; i < ndevices; i++) {
        if (devices[i].platform != p || !(type == CL_DEVICE_TYPE_ALL || (devices[i].type & type))) continue;
        if (ids && n < num_entries) ids[n] = (cl_device_id)(void *)&devices[i];
        n++;
    }
    if (num_devices) *num_devices = n;
    return n ? CL_SUCCESS : CL_DEVICE_NOT_FOUND;
}

CL_API_ENTRY cl_int CL_API_CALL clGetDeviceInfo(cl_device_id id, cl_device_info what, size_t size, void *value,
                                                size_t *size_ret)
{
    load();
    const fake_device *d = device_of(id);
    if (!d) return CL_INVALID_DEVICE;
    cl_uint u;
    cl_ulong ul;
    size_t sizes[3] = {256, 256, 256}, wg = 256;
    cl_device_local_mem_type local_type = CL_LOCAL;
    cl_platform_id platform = (cl_platform_id)(void *)&platforms[d->platform];
    switch (what) {
    case CL_DEVICE_TYPE: return answer(&d->type, sizeof d->type, size, value, size_ret);
    case CL_DEVICE_VENDOR: return answer_text(d->vendor, size, value, size_ret);
    case CL_DEVICE_NAME: return answer_text(d->name, size, value, size_ret);
    case CL_DRIVER_VERSION: return answer_text(d->driver, size, value, size_ret);
    case CL_DEVICE_VERSION: return answer_text("OpenCL 1.2 fake", size, value, size_ret);
    case CL_DEVICE_OPENCL_C_VERSION: return answer_text("OpenCL C 1.2 fake", size, value, size_ret);
    case CL_DEVICE_EXTENSIONS: return answer_text("", size, value, size_ret);
    case CL_DEVICE_AVAILABLE: return answer(&d->available, sizeof d->available, size, value, size_ret);
    case CL_DEVICE_COMPILER_AVAILABLE: return answer(&d->compiler, sizeof d->compiler, size, value, size_ret);
    case CL_DEVICE_HOST_UNIFIED_MEMORY: return answer(&d->unified, sizeof d->unified, size, value, size_ret);
    case CL_DEVICE_MAX_COMPUTE_UNITS: return answer(&d->cu, sizeof d->cu, size, value, size_ret);
    case CL_DEVICE_MAX_CLOCK_FREQUENCY: return answer(&d->mhz, sizeof d->mhz, size, value, size_ret);
    case CL_DEVICE_PLATFORM: return answer(&platform, sizeof platform, size, value, size_ret);
    case CL_DEVICE_MAX_WORK_GROUP_SIZE: return answer(&wg, sizeof wg, size, value, size_ret);
    case CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS: u = 3; return answer(&u, sizeof u, size, value, size_ret);
    case CL_DEVICE_MAX_WORK_ITEM_SIZES: return answer(sizes, sizeof sizes, size, value, size_ret);
    case CL_DEVICE_LOCAL_MEM_TYPE: return answer(&local_type, sizeof local_type, size, value, size_ret);
    case CL_DEVICE_LOCAL_MEM_SIZE: ul = 64 << 10; return answer(&ul, sizeof ul, size, value, size_ret);
    case CL_DEVICE_GLOBAL_MEM_SIZE: ul = 4ull << 30; return answer(&ul, sizeof ul, size, value, size_ret);
    case CL_DEVICE_MAX_MEM_ALLOC_SIZE: ul = 1ull << 30; return answer(&ul, sizeof ul, size, value, size_ret);
    default: return CL_INVALID_VALUE;
    }
}
