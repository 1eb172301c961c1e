/* LD_PRELOAD shim for the oclgrind_* tests: every clReleaseMemObject is
 * deferred until the buffer's context is released.
 *
 * Why: Oclgrind 21.10's --uninitialized check keeps the shadow state of a
 * released buffer and applies it to the next buffer that reuses its index. A
 * test that frees a 1-element tensor and then allocates a 7-element one sees
 * elements 1..6 reported as "Uninitialized value written" even after a kernel
 * wrote them (a false positive; the values are right). Keeping every buffer
 * alive until its context goes means indices are never reused within a
 * context, and real uninitialized reads are still reported (a kernel reading
 * a never-written tensor still is).
 *
 * Every release is deferred, not only the one that would free the buffer:
 * Oclgrind's kernels and commands hold references to their buffer
 * arguments (a scratch buffer is released by clnn with a reference count of
 * 3), so the buffer is really freed later, when a cached kernel's argument
 * is replaced, and its index is reused after all (seen in test_regularizers_terms:
 * the partial sums of the two-stage reduction reported uninitialized). Each
 * deferred release is replayed once when the context is released, so the
 * counts end where they would have.
 *
 * Interposes the ICD loader's entry points (the test runs with the loader
 * pointed at Oclgrind's ICD, tests/run_oclgrind.sh); not used anywhere else. */
#define _GNU_SOURCE
#include <CL/cl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>

static pthread_mutex_t parked_lock = PTHREAD_MUTEX_INITIALIZER;
typedef struct parked_release {
    cl_mem mem;
    cl_context owner;
} parked_release;
static parked_release *parked;
static size_t n_parked, cap_parked;

typedef cl_int (*release_mem_fn)(cl_mem);
typedef cl_int (*release_context_fn)(cl_context);

static release_mem_fn real_release_mem(void)
{
    static release_mem_fn fn;
    if (!fn) *(void **)&fn = dlsym(RTLD_NEXT, "clReleaseMemObject");
    return fn;
}

static release_context_fn real_release_context(void)
{
    static release_context_fn fn;
    if (!fn) *(void **)&fn = dlsym(RTLD_NEXT, "clReleaseContext");
    return fn;
}

/* Parks this release of the buffer; returns 0 if it could not. */
static int park(cl_mem m)
{
    cl_context owner = NULL;
    if (clGetMemObjectInfo(m, CL_MEM_CONTEXT, sizeof owner, &owner, NULL) != CL_SUCCESS) return 0;
    pthread_mutex_lock(&parked_lock);
    int ok = 1;
    if (n_parked == cap_parked) {
        size_t cap = cap_parked ? 2 * cap_parked : 64;
        parked_release *p = realloc(parked, cap * sizeof *p);
        if (p) {
            parked = p;
            cap_parked = cap;
        } else {
            ok = 0;
        }
    }
    if (ok) parked[n_parked++] = (parked_release){m, owner};
    pthread_mutex_unlock(&parked_lock);
    return ok;
}

CL_API_ENTRY cl_int CL_API_CALL clReleaseMemObject(cl_mem m)
{
    if (m && park(m)) return CL_SUCCESS;
    return real_release_mem()(m);
}

/* Any release of a context frees its parked buffers first (the buffers
 * may hold references to it, so waiting for its last release could wait forever). */
CL_API_ENTRY cl_int CL_API_CALL clReleaseContext(cl_context c)
{
    pthread_mutex_lock(&parked_lock);
    for (size_t i = 0; i < n_parked;) {
        if (parked[i].owner == c) { /* recorded when parked: a replayed release may free it */
            real_release_mem()(parked[i].mem);
            parked[i] = parked[--n_parked];
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&parked_lock);
    return real_release_context()(c);
}
