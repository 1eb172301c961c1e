/* Device ranking and selection against fake device lists: simulators, GPUs
 * integrated and discrete, unavailable devices, vendors shared by a CPU and a
 * GPU. Runs under tests/fake_devices_shim.c (LD_PRELOAD, set by ctest), which
 * answers discovery from CLNN_FAKE_DEVICES; nothing here creates a context.
 * Every expected index below is written by hand from the rules in
 * include/clnn/clnn.h (clnn_device_rank, clnn_device_select). */
#define _GNU_SOURCE
#include "check.h"

static const char *scenario = "";

static void use(const char *name, const char *devices)
{
    scenario = name;
    setenv("CLNN_FAKE_DEVICES", devices, 1);
}

static void expect_count(size_t want)
{
    size_t n = 99;
    CHECK_OK(NULL, clnn_device_count(&n));
    CHECK(n == want, "%s: %zu devices, expected %zu", scenario, n, want);
}

static void expect_select(const char *selector, size_t want)
{
    size_t idx = 99;
    clnn_status st = clnn_device_select(selector, &idx);
    CHECK(st == CLNN_OK && idx == want, "%s: selector '%s' -> %s, index %zu, expected %zu (%s)", scenario,
          selector ? selector : "(default)", clnn_status_string(st), idx, want, st ? clnn_last_error(NULL) : "");
}

/* The selector must fail with DEVICE_NOT_FOUND, leave the index alone, and
 * say each of the words (NULL-terminated) in its message. */
static void expect_refused(const char *selector, const char *const *words)
{
    size_t idx = 99;
    clnn_status st = clnn_device_select(selector, &idx);
    CHECK(st == CLNN_ERR_DEVICE_NOT_FOUND && idx == 99, "%s: selector '%s' -> %s, index %zu, expected a refusal",
          scenario, selector ? selector : "(default)", clnn_status_string(st), idx);
    const char *msg = clnn_last_error(NULL);
    for (; *words; words++)
        CHECK(strstr(msg, *words) != NULL, "%s: selector '%s': message lacks '%s': %s", scenario,
              selector ? selector : "(default)", *words, msg);
}

static clnn_device_rank rank_of(size_t index)
{
    clnn_device_rank r;
    memset(&r, 0xff, sizeof r);
    clnn_status st = clnn_device_rank_get(index, &r);
    CHECK(st == CLNN_OK && r.index == index, "%s: clnn_device_rank_get(%zu) -> %s: %s", scenario, index,
          clnn_status_string(st), clnn_last_error(NULL));
    return r;
}

static void expect_rank(size_t index, unsigned rank, const char *reason)
{
    clnn_device_rank r = rank_of(index);
    CHECK(r.rank == rank, "%s: device %zu has rank %u, expected %u", scenario, index, r.rank, rank);
    CHECK(strcmp(r.reason, reason) == 0, "%s: device %zu reason '%s', expected '%s'", scenario, index, r.reason,
          reason);
}

static clnn_device_type type_of(size_t index)
{
    clnn_device_info info;
    CHECK_OK(NULL, clnn_device_info_get(index, &info));
    return info.type;
}

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})

#define OCLGRIND "platform=Oclgrind,type=cpu|gpu|accelerator|default,vendor=Oclgrind,name=Oclgrind Simulator,cu=1,mhz=1"
#define POCL_EPYC                                                                                          \
    "platform=Portable Computing Language,type=cpu,vendor=AuthenticAMD,name=pthread-AMD EPYC 7763,cu=128," \
    "mhz=2450,unified=1"

/* Oclgrind, listed first as the loader may, reports CPU|GPU|ACCELERATOR:
 * it is OTHER, ranks after the CPU, and is reached only by name or index. */
static void simulator_next_to_cpu(void)
{
    use("simulator+cpu", OCLGRIND ";" POCL_EPYC);
    expect_count(2);
    CHECK(type_of(0) == CLNN_DEVICE_OTHER, "%s: the simulator's type is %d, not OTHER", scenario, type_of(0));
    CHECK(type_of(1) == CLNN_DEVICE_CPU, "%s: PoCL's type is %d", scenario, type_of(1));
    clnn_device_rank sim = rank_of(0);
    CHECK(sim.cl_type == (CL_DEVICE_TYPE_CPU | CL_DEVICE_TYPE_GPU | CL_DEVICE_TYPE_ACCELERATOR |
                          CL_DEVICE_TYPE_DEFAULT),
          "%s: raw type bits 0x%llx", scenario, sim.cl_type);
    CHECK(sim.available == 1, "%s: the simulator is available", scenario);
    expect_rank(0, 1, "simulator: reports CPU|GPU|ACCELERATOR, chosen only by name or index");
    expect_rank(1, 0, "CPU, 128 CU x 2450 MHz");
    expect_select(NULL, 1);
    expect_select("", 1);
    expect_select("default", 1);
    expect_select("cpu", 1);
    expect_refused("gpu", WORDS("'gpu'", "[0] Oclgrind Simulator", "[1] pthread-AMD EPYC 7763", "simulator"));
    expect_refused("accelerator", WORDS("'accelerator'"));
    expect_select("oclgrind", 0);
    expect_select("Simulator", 0);
    expect_select("0", 0);
    expect_select("1", 1);

    /* the same rules through CLNN_DEVICE, and the message names the variable */
    setenv("CLNN_DEVICE", "gpu", 1);
    expect_refused(NULL, WORDS("CLNN_DEVICE", "'gpu'"));
    setenv("CLNN_DEVICE", "oclgrind", 1);
    expect_select(NULL, 0);
    expect_select("cpu", 1); /* the API's selector wins over the variable */
    setenv("CLNN_DEVICE", "default", 1);
    expect_select(NULL, 1);
    unsetenv("CLNN_DEVICE");

    use("simulator alone", OCLGRIND);
    expect_refused(NULL, WORDS("by default", "name or index", "[0] Oclgrind Simulator"));
    expect_refused("gpu", WORDS("'gpu'"));
    expect_refused("cpu", WORDS("'cpu'"));
    expect_select("oclgrind", 0);
    expect_select("0", 0);
}

/* A discrete GPU beats an integrated one with more compute units x clock,
 * and any GPU beats a bigger CPU listed before it. */
static void integrated_and_discrete(void)
{
    use("integrated+discrete", POCL_EPYC ";"
        "platform=Intel(R) OpenCL Graphics,type=gpu,vendor=Intel(R) Corporation,name=Intel(R) UHD Graphics 770,"
        "cu=96,mhz=1550,unified=1;"
        "platform=NVIDIA CUDA,type=gpu|default,vendor=NVIDIA Corporation,name=NVIDIA GeForce RTX 3060,cu=28,"
        "mhz=1777,unified=0");
    expect_count(3);
    CHECK(type_of(2) == CLNN_DEVICE_GPU, "%s: GPU|DEFAULT is a GPU (type %d)", scenario, type_of(2));
    expect_rank(2, 0, "discrete GPU, 28 CU x 1777 MHz");
    expect_rank(1, 1, "integrated GPU, 96 CU x 1550 MHz");
    expect_rank(0, 2, "CPU, 128 CU x 2450 MHz");
    expect_select(NULL, 2);
    expect_select("gpu", 2);
    expect_select("GPU", 2);
    expect_select("cpu", 0);
    expect_select("intel", 1);
    expect_select("0", 0); /* the index is the discovery position, not the rank */
    clnn_device_info info;
    CHECK_OK(NULL, clnn_device_info_get(2, &info));
    CHECK(info.index == 2 && info.platform_index == 2 && strcmp(info.name, "NVIDIA GeForce RTX 3060") == 0,
          "%s: device 2 is [%u] %s on platform %u", scenario, info.index, info.name, info.platform_index);
}

/* Among GPUs of one kind: compute units x clock, not either alone; ties keep
 * the discovery order. */
static void compute_times_clock(void)
{
    use("cu x clock",
        "platform=P,type=gpu,name=A 20x1000,cu=20,mhz=1000;"
        "platform=P,type=gpu,name=B 16x2000,cu=16,mhz=2000;"
        "platform=P,type=gpu,name=C 32x900,cu=32,mhz=900;"
        "platform=P,type=gpu,name=D 8x2500,cu=8,mhz=2500;"
        "platform=P,type=gpu,name=E 16x2000,cu=16,mhz=2000");
    expect_count(5);
    expect_rank(1, 0, "discrete GPU, 16 CU x 2000 MHz");
    expect_rank(4, 1, "discrete GPU, 16 CU x 2000 MHz");
    expect_rank(2, 2, "discrete GPU, 32 CU x 900 MHz");
    expect_rank(0, 3, "discrete GPU, 20 CU x 1000 MHz");
    expect_rank(3, 4, "discrete GPU, 8 CU x 2500 MHz");
    expect_select(NULL, 1);
    expect_select("gpu", 1);
    expect_select("16x2000", 1);

    /* CPUs, then accelerators, then other types, whatever their size */
    use("type order",
        "platform=Q,type=custom,vendor=Q,name=Custom Thing,cu=999,mhz=999;"
        "platform=Q,type=accelerator,vendor=Q,name=Accel Card,cu=64,mhz=1000;"
        "platform=Q,type=cpu,vendor=Q,name=Small CPU,cu=2,mhz=1000,unified=1");
    expect_rank(2, 0, "CPU, 2 CU x 1000 MHz");
    expect_rank(1, 1, "accelerator, 64 CU x 1000 MHz");
    expect_rank(0, 2, "other device type: reports CUSTOM, chosen only by name or index");
    CHECK(type_of(0) == CLNN_DEVICE_OTHER, "%s: CUSTOM is OTHER", scenario);
    expect_select(NULL, 2);
    expect_select("accelerator", 1);
    expect_select("q", 2);
    expect_select("custom", 0);
    expect_refused("gpu", WORDS("[0] Custom Thing", "[1] Accel Card", "[2] Small CPU"));

    use("accelerator alone", "platform=Q,type=accelerator,vendor=Q,name=Accel Card,cu=64,mhz=1000");
    expect_select(NULL, 0);
}

/* Unavailable devices: ranked last, skipped by default, type and name,
 * refused by index, and listed with the reason. */
static void unavailable(void)
{
    use("unavailable",
        "platform=NVIDIA CUDA,type=gpu,vendor=NVIDIA Corporation,name=NVIDIA A100,cu=108,mhz=1410,available=0;"
        "platform=NVIDIA CUDA,type=gpu,vendor=NVIDIA Corporation,name=NVIDIA T4,cu=40,mhz=1590,compiler=0;"
        "platform=PoCL,type=cpu,vendor=GenuineIntel,name=pthread-Xeon,cu=8,mhz=3000,unified=1;"
        "platform=PoCL,type=cpu,vendor=NVIDIA Corporation,name=pthread-Grace,cu=4,mhz=3100,unified=1");
    expect_count(4);
    expect_rank(2, 0, "CPU, 8 CU x 3000 MHz");
    expect_rank(3, 1, "CPU, 4 CU x 3100 MHz");
    expect_rank(0, 2, "unavailable: CL_DEVICE_AVAILABLE is false");
    expect_rank(1, 3, "unavailable: no OpenCL C compiler (CL_DEVICE_COMPILER_AVAILABLE is false)");
    CHECK(rank_of(0).available == 0 && rank_of(1).available == 0 && rank_of(2).available == 1,
          "%s: available flags", scenario);
    expect_select(NULL, 2);
    expect_select("cpu", 2);
    expect_refused("gpu", WORDS("'gpu'", "[0] NVIDIA A100", "CL_DEVICE_AVAILABLE is false", "[1] NVIDIA T4",
                                "CL_DEVICE_COMPILER_AVAILABLE is false"));
    expect_refused("a100", WORDS("'a100'", "no available device"));
    expect_refused("0", WORDS("'0'", "[0] NVIDIA A100", "unavailable: CL_DEVICE_AVAILABLE is false"));
    expect_refused("1", WORDS("'1'", "[1] NVIDIA T4", "COMPILER"));
    expect_select("2", 2);
    expect_select("3", 3);
    /* matches both GPUs and the Grace CPU: the GPUs are unavailable */
    expect_select("nvidia", 3);
}

/* "amd" matches PoCL's CPU (vendor AuthenticAMD), listed first, and the AMD
 * GPU: the GPU ranks first. */
static void amd_vendor(void)
{
    use("amd", POCL_EPYC ";"
        "platform=AMD Accelerated Parallel Processing,type=gpu,vendor=Advanced Micro Devices Inc.,name=gfx90a:"
        "sramecc+:xnack-,cu=110,mhz=1700");
    expect_count(2);
    expect_select("amd", 1);
    expect_select("AMD", 1);
    expect_select("epyc", 0);
    expect_select("pthread", 0);
    expect_select("cpu", 0);
    expect_select(NULL, 1);
}

/* clnn_device_select_nth(sel, slot) must give want[slot] for every slot
 * listed (want ends with SIZE_MAX), from `matches` devices in turn. */
static void expect_nth(const char *selector, size_t matches, const size_t *want)
{
    for (size_t slot = 0; want[slot] != SIZE_MAX; slot++) {
        size_t idx = 99, m = 99;
        clnn_status st = clnn_device_select_nth(selector, slot, &idx, &m);
        CHECK(st == CLNN_OK && idx == want[slot] && m == matches,
              "%s: selector '%s' slot %zu -> %s, index %zu of %zu, expected %zu of %zu (%s)", scenario,
              selector ? selector : "(default)", slot, clnn_status_string(st), idx, m, want[slot], matches,
              st ? clnn_last_error(NULL) : "");
    }
}

#define SLOTS(...) ((const size_t[]){__VA_ARGS__, SIZE_MAX})

/* One process per device (MPI ranks by local rank): four GPUs of two
 * kinds and the CPU they sit in. The default and "gpu" take the GPUs in
 * rank order and wrap around, never the CPU; a name takes what it matches;
 * an index stays one device. */
static void one_slot_per_device(void)
{
    use("slots", POCL_EPYC ";"
        "platform=NVIDIA CUDA,type=gpu,vendor=NVIDIA Corporation,name=NVIDIA L4,cu=58,mhz=2040;"
        "platform=NVIDIA CUDA,type=gpu,vendor=NVIDIA Corporation,name=NVIDIA H100,cu=132,mhz=1980;"
        "platform=NVIDIA CUDA,type=gpu,vendor=NVIDIA Corporation,name=NVIDIA H100,cu=132,mhz=1980;"
        "platform=NVIDIA CUDA,type=gpu,vendor=NVIDIA Corporation,name=NVIDIA L4,cu=58,mhz=2040,available=0");
    expect_nth(NULL, 3, SLOTS(2, 3, 1, 2, 3, 1));
    expect_nth("gpu", 3, SLOTS(2, 3, 1, 2));
    expect_nth("h100", 2, SLOTS(2, 3, 2));
    expect_nth("cpu", 1, SLOTS(0, 0));
    expect_nth("nvidia", 3, SLOTS(2, 3, 1));
    expect_nth("1", 1, SLOTS(1, 1, 1));
    size_t idx = 99;
    CHECK(clnn_device_select_nth("4", 0, &idx, NULL) == CLNN_ERR_DEVICE_NOT_FOUND && idx == 99,
          "%s: an unavailable device by index", scenario);
    CHECK(clnn_device_select_nth("tpu", 5, &idx, NULL) == CLNN_ERR_DEVICE_NOT_FOUND && idx == 99,
          "%s: a name that matches nothing", scenario);
    EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, "clnn_device_select_nth", clnn_device_select_nth(NULL, 0, NULL, NULL));

    /* no GPU: the CPUs take turns */
    use("cpu slots", POCL_EPYC ";" "platform=Q,type=cpu,vendor=Q,name=Small CPU,cu=2,mhz=1000,unified=1");
    expect_nth(NULL, 2, SLOTS(0, 1, 0));
}

static void no_device(void)
{
    use("no device", "");
    expect_count(0);
    expect_refused(NULL, WORDS("no OpenCL device"));
    expect_refused("gpu", WORDS("no OpenCL device"));
    expect_refused("0", WORDS("no OpenCL device"));
    clnn_device_rank r;
    EXPECT_FAIL(NULL, CLNN_ERR_DEVICE_NOT_FOUND, "clnn_device_rank_get", clnn_device_rank_get(0, &r));
    clnn_device_info info;
    EXPECT_FAIL(NULL, CLNN_ERR_DEVICE_NOT_FOUND, "clnn_device_info_get", clnn_device_info_get(0, &info));
}

/* A selector that matches nothing (or an index past the end) lists every
 * device with its index and rank in words. */
static void nothing_matches(void)
{
    use("nothing matches", OCLGRIND ";" POCL_EPYC);
    const char *const *listing = WORDS("[0] Oclgrind Simulator (Oclgrind; rank 1: simulator",
                                       "[1] pthread-AMD EPYC 7763 (AuthenticAMD; rank 0: CPU, 128 CU x 2450 MHz)");
    expect_refused("no-such-device-xyz", listing);
    expect_refused("no-such-device-xyz", WORDS("'no-such-device-xyz'", "matches no available device"));
    expect_refused("2", listing);
    expect_refused("2", WORDS("'2'", "past the last device"));
    expect_refused("99999999999999999999999", WORDS("past the last device"));
}

static void bad_arguments(void)
{
    use("arguments", POCL_EPYC);
    EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, "clnn_device_rank_get", clnn_device_rank_get(0, NULL));
    EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, "clnn_device_select", clnn_device_select("0", NULL));
    clnn_device_rank r;
    EXPECT_FAIL(NULL, CLNN_ERR_DEVICE_NOT_FOUND, "clnn_device_rank_get", clnn_device_rank_get(1, &r));
    CHECK(strstr(clnn_last_error(NULL), "out of range") != NULL, "message: %s", clnn_last_error(NULL));
}

int main(void)
{
    unsetenv("CLNN_DEVICE"); /* the default is under test; a caller's choice must not leak in */
    /* Without the shim the real devices would answer: stop rather than test them. */
    use("shim probe", "platform=Probe,name=fake-devices-shim-probe");
    size_t n = 0;
    clnn_device_info probe;
    REQUIRE(clnn_device_count(&n) == CLNN_OK && n == 1 && clnn_device_info_get(0, &probe) == CLNN_OK &&
                strcmp(probe.name, "fake-devices-shim-probe") == 0,
            "not running under tests/fake_devices_shim.c: run through ctest, or with "
            "LD_PRELOAD=build/tests/libclnn_fake_devices_shim.so");

    simulator_next_to_cpu();
    integrated_and_discrete();
    compute_times_clock();
    unavailable();
    amd_vendor();
    one_slot_per_device();
    no_device();
    nothing_matches();
    bad_arguments();
    return check_summary();
}
