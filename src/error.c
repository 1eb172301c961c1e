/* Status codes and last-error messages (per context and per thread). */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static _Thread_local char thread_error[CLNN_ERROR_LEN];

const char *clnn_status_string(clnn_status status)
{
    switch (status) {
    case CLNN_OK: return "CLNN_OK: success";
    case CLNN_ERR_INVALID_ARGUMENT: return "CLNN_ERR_INVALID_ARGUMENT: an argument is invalid";
    case CLNN_ERR_SHAPE: return "CLNN_ERR_SHAPE: shapes, sizes or dtypes disagree";
    case CLNN_ERR_OUT_OF_MEMORY: return "CLNN_ERR_OUT_OF_MEMORY: allocation failed or too large";
    case CLNN_ERR_DEVICE_NOT_FOUND: return "CLNN_ERR_DEVICE_NOT_FOUND: no matching OpenCL device";
    case CLNN_ERR_BUILD: return "CLNN_ERR_BUILD: a kernel failed to compile";
    case CLNN_ERR_OPENCL: return "CLNN_ERR_OPENCL: an OpenCL call failed";
    case CLNN_ERR_IO: return "CLNN_ERR_IO: a file could not be read or written";
    case CLNN_ERR_UNSUPPORTED: return "CLNN_ERR_UNSUPPORTED: the device lacks a needed capability";
    case CLNN_ERR_INTERNAL: return "CLNN_ERR_INTERNAL: internal error in clnn";
    case CLNN_ERR_COMM: return "CLNN_ERR_COMM: a communication step failed or timed out";
    }
    return "unknown clnn_status";
}

const char *clnn_version(void) { return CLNN_VERSION_STRING; }

const char *clnn_last_error(const clnn_context *ctx)
{
    return ctx ? ctx->last_error : thread_error;
}

static void record(clnn_context *ctx, const char *fmt, va_list ap)
{
    vsnprintf(thread_error, sizeof thread_error, fmt, ap);
    if (ctx) memcpy(ctx->last_error, thread_error, sizeof ctx->last_error);
}

clnn_status clnn__fail(clnn_context *ctx, clnn_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(ctx, fmt, ap);
    va_end(ap);
    return status;
}

clnn_status clnn_set_last_error(clnn_context *ctx, clnn_status status, const char *fmt, ...)
{
    CLNN_ENTRY_NO_CONTEXT();
    CHECK_ARG(ctx, fmt != NULL, "%s: fmt is NULL", fn);
    CHECK_ARG(ctx, status < CLNN_OK && status >= CLNN_ERR_COMM, "%s: status %d is not an error status", fn,
              (int)status);
    va_list ap;
    va_start(ap, fmt);
    record(ctx, fmt, ap);
    va_end(ap);
    return status;
}

const char *clnn__cl_error_name(cl_int err)
{
    switch (err) {
#define CLNN_CL_ERROR(code) case code: return #code;
#include "cl_error_names.def"
#undef CLNN_CL_ERROR
    default: return "unknown OpenCL error";
    }
}

clnn_status clnn__fail_cl(clnn_context *ctx, const char *fn, const char *call, cl_int err)
{
    clnn_status st = (err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_HOST_MEMORY ||
                      err == CL_INVALID_BUFFER_SIZE)
                         ? CLNN_ERR_OUT_OF_MEMORY
                         : CLNN_ERR_OPENCL;
    return clnn__fail(ctx, st, "%s: %s failed with %s (%d)", fn, call, clnn__cl_error_name(err),
                      (int)err);
}

clnn_status clnn__options_copy(clnn_context *ctx, const char *fn, const char *arg, void *dst, size_t known,
                               const void *src)
{
    if (!src) return CLNN_OK;
    size_t size;
    memcpy(&size, src, sizeof size);
    CHECK_ARG(ctx, size >= sizeof size && size <= known,
              "%s: %s->size is %zu, expected %zu (set it with the struct's _options_init; 0 means it was never "
              "initialised, a larger size comes from a newer header than this library)",
              fn, arg, size, known);
    memcpy(dst, src, size);
    memcpy(dst, &known, sizeof known);
    return CLNN_OK;
}
