/* Divisors prepared for the kernels' div_by (cl/index.clh). A header of its
 * own so that tests/test_divisor.c can build the host half with the kernel. */
#ifndef CLNN_DIVISOR_H
#define CLNN_DIVISOR_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

/* d as a kernel's `divisor` argument: (d, magic, shift, 0), so the kernel
 * divides without an integer division. d >= 1. */
cl_uint4 clnn__divisor(cl_uint d);

#endif
