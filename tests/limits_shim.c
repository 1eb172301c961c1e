/* LD_PRELOAD shim that makes the real device look like a small GPU, so that
 * the suite proves clnn respects each kernel's limits without a GPU at hand.
 *
 * A GPU driver lowers CL_KERNEL_WORK_GROUP_SIZE under register pressure and
 * has far less local memory than PoCL's CPU device; a launch over either limit
 * fails there (CL_INVALID_WORK_GROUP_SIZE, CL_OUT_OF_RESOURCES) where PoCL
 * runs it. Under this shim:
 *   - CL_DEVICE_TYPE reads CL_DEVICE_TYPE_GPU (so GPU heuristics run too);
 *   - CL_KERNEL_WORK_GROUP_SIZE reads at most CLNN_SHIM_KERNEL_WG (default 128)
 *     and CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE reads 32;
 *   - CL_DEVICE_LOCAL_MEM_SIZE reads at most CLNN_SHIM_LOCAL_MEM (default 32 KiB);
 *   - clEnqueueNDRangeKernel refuses a local size over the kernel limit and a
 *     kernel whose local memory (static plus __local arguments) is over the
 *     limit.
 * Each refusal is printed to stderr, so a failing test says which launch. */
#define _GNU_SOURCE
#include <CL/cl.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static size_t env_size(const char *name, size_t fallback)
{
    const char *v = getenv(name);
    if (!v || !*v) return fallback;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    return *end == '\0' && x > 0 ? (size_t)x : fallback;
}

static size_t kernel_wg_limit(void) { return env_size("CLNN_SHIM_KERNEL_WG", 128); }
static size_t local_mem_limit(void) { return env_size("CLNN_SHIM_LOCAL_MEM", 32768); }

static void *real(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) {
        fprintf(stderr, "limits_shim: %s not found\n", name);
        abort();
    }
    return f;
}

typedef cl_int (*device_info_fn)(cl_device_id, cl_device_info, size_t, void *, size_t *);
typedef cl_int (*kernel_wg_info_fn)(cl_kernel, cl_device_id, cl_kernel_work_group_info, size_t, void *, size_t *);
typedef cl_int (*enqueue_fn)(cl_command_queue, cl_kernel, cl_uint, const size_t *, const size_t *, const size_t *,
                             cl_uint, const cl_event *, cl_event *);
typedef cl_int (*queue_info_fn)(cl_command_queue, cl_command_queue_info, size_t, void *, size_t *);

CL_API_ENTRY cl_int CL_API_CALL clGetDeviceInfo(cl_device_id d, cl_device_info what, size_t size, void *value,
                                                size_t *size_ret)
{
    static device_info_fn next;
    if (!next) next = (device_info_fn)real("clGetDeviceInfo");
    cl_int err = next(d, what, size, value, size_ret);
    if (err != CL_SUCCESS || !value) return err;
    if (what == CL_DEVICE_TYPE && size >= sizeof(cl_device_type)) *(cl_device_type *)value = CL_DEVICE_TYPE_GPU;
    if (what == CL_DEVICE_LOCAL_MEM_SIZE && size >= sizeof(cl_ulong) && *(cl_ulong *)value > local_mem_limit())
        *(cl_ulong *)value = local_mem_limit();
    if (what == CL_DEVICE_LOCAL_MEM_TYPE && size >= sizeof(cl_device_local_mem_type))
        *(cl_device_local_mem_type *)value = CL_LOCAL;
    return err;
}

CL_API_ENTRY cl_int CL_API_CALL clGetKernelWorkGroupInfo(cl_kernel k, cl_device_id d, cl_kernel_work_group_info what,
                                                         size_t size, void *value, size_t *size_ret)
{
    static kernel_wg_info_fn next;
    if (!next) next = (kernel_wg_info_fn)real("clGetKernelWorkGroupInfo");
    cl_int err = next(k, d, what, size, value, size_ret);
    if (err != CL_SUCCESS || !value) return err;
    if (what == CL_KERNEL_WORK_GROUP_SIZE && size >= sizeof(size_t) && *(size_t *)value > kernel_wg_limit())
        *(size_t *)value = kernel_wg_limit();
    if (what == CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE && size >= sizeof(size_t)) *(size_t *)value = 32;
    return err;
}

static void kernel_name(cl_kernel k, char *buf, size_t len)
{
    buf[0] = '\0';
    if (clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, len, buf, NULL) != CL_SUCCESS) buf[0] = '\0';
    buf[len - 1] = '\0';
}

CL_API_ENTRY cl_int CL_API_CALL clEnqueueNDRangeKernel(cl_command_queue q, cl_kernel k, cl_uint dims,
                                                       const size_t *offset, const size_t *global,
                                                       const size_t *local, cl_uint nwait, const cl_event *wait,
                                                       cl_event *ev)
{
    static enqueue_fn next;
    if (!next) next = (enqueue_fn)real("clEnqueueNDRangeKernel");
    cl_device_id dev = NULL;
    clGetCommandQueueInfo(q, CL_QUEUE_DEVICE, sizeof dev, &dev, NULL);
    char name[128];
    if (local) {
        size_t product = 1;
        for (cl_uint d = 0; d < dims; d++) product *= local[d];
        if (product > kernel_wg_limit()) {
            kernel_name(k, name, sizeof name);
            fprintf(stderr, "limits_shim: %s launched with %zu work-items per group, over the limit %zu\n", name,
                    product, kernel_wg_limit());
            return CL_INVALID_WORK_GROUP_SIZE;
        }
    }
    cl_ulong local_mem = 0;
    if (clGetKernelWorkGroupInfo(k, dev, CL_KERNEL_LOCAL_MEM_SIZE, sizeof local_mem, &local_mem, NULL) ==
            CL_SUCCESS && local_mem > local_mem_limit()) {
        kernel_name(k, name, sizeof name);
        fprintf(stderr, "limits_shim: %s uses %llu bytes of local memory, over the limit %zu\n", name,
                (unsigned long long)local_mem, local_mem_limit());
        return CL_OUT_OF_RESOURCES;
    }
    return next(q, k, dims, offset, global, local, nwait, wait, ev);
}
