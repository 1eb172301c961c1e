/* Device ranking and selectors: which device clnn_device_select picks for the
 * default, a type, a name or an index (rules in include/clnn/clnn.h). */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Everything the ranking and the selectors look at, per device. */
typedef struct survey_item {
    clnn_device_info info;
    clnn_device_rank rank;
} survey_item;

/* GPUs, CPUs, accelerators, then the rest: the order of step 2. */
static int type_class(clnn_device_type t)
{
    return t == CLNN_DEVICE_GPU ? 0 : t == CLNN_DEVICE_CPU ? 1 : t == CLNN_DEVICE_ACCELERATOR ? 2 : 3;
}

static unsigned long long throughput(const clnn_device_info *d)
{
    return (unsigned long long)d->compute_units * d->clock_mhz;
}

/* <0 when a ranks before b; never 0 for two devices (the index decides). */
static int rank_cmp(const survey_item *a, const survey_item *b)
{
    if (a->rank.available != b->rank.available) return a->rank.available ? -1 : 1;
    int ca = type_class(a->info.type), cb = type_class(b->info.type);
    if (ca != cb) return ca < cb ? -1 : 1;
    if (a->info.type == CLNN_DEVICE_GPU && a->rank.host_unified_memory != b->rank.host_unified_memory)
        return a->rank.host_unified_memory ? 1 : -1;
    unsigned long long ta = throughput(&a->info), tb = throughput(&b->info);
    if (ta != tb) return ta > tb ? -1 : 1;
    return a->info.index < b->info.index ? -1 : 1;
}

/* The kinds in a CL_DEVICE_TYPE ("CPU|GPU|ACCELERATOR"; DEFAULT is no kind);
 * returns how many. */
static int type_kinds(cl_device_type t, char *buf, size_t len)
{
    static const struct { cl_device_type bit; const char *word; } kinds[] = {
        {CL_DEVICE_TYPE_CPU, "CPU"}, {CL_DEVICE_TYPE_GPU, "GPU"}, {CL_DEVICE_TYPE_ACCELERATOR, "ACCELERATOR"},
        {CL_DEVICE_TYPE_CUSTOM, "CUSTOM"}};
    size_t off = 0;
    int count = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (!(t & kinds[i].bit) || off >= len) continue;
        off += (size_t)snprintf(buf + off, len - off, "%s%s", count ? "|" : "", kinds[i].word);
        count++;
    }
    if (!count) snprintf(buf, len, "type 0x%llx", (unsigned long long)t);
    return count;
}

/* The reason of an available device (unavailable ones got theirs from
 * clnn__device_choice_facts). */
static void describe_rank(survey_item *it)
{
    const clnn_device_info *d = &it->info;
    clnn_device_rank *r = &it->rank;
    if (!r->available) return;
    char kinds[64];
    switch (d->type) {
    case CLNN_DEVICE_GPU:
        snprintf(r->reason, sizeof r->reason, "%s GPU, %u CU x %u MHz",
                 r->host_unified_memory ? "integrated" : "discrete", d->compute_units, d->clock_mhz);
        break;
    case CLNN_DEVICE_CPU:
        snprintf(r->reason, sizeof r->reason, "CPU, %u CU x %u MHz", d->compute_units, d->clock_mhz);
        break;
    case CLNN_DEVICE_ACCELERATOR:
        snprintf(r->reason, sizeof r->reason, "accelerator, %u CU x %u MHz", d->compute_units, d->clock_mhz);
        break;
    default:
        /* several kinds at once is what a simulator (Oclgrind) reports */
        snprintf(r->reason, sizeof r->reason, "%s: reports %s, chosen only by name or index",
                 type_kinds(r->cl_type, kinds, sizeof kinds) > 1 ? "simulator" : "other device type", kinds);
        break;
    }
}

/* Describes and ranks every device; *items is malloc'ed (index order),
 * caller frees. No device is not an error here (*n = 0). */
static clnn_status survey(const char *fn, survey_item **items, size_t *n)
{
    clnn__device_entry *list;
    TRY(clnn__device_list(fn, &list, n));
    *items = NULL;
    if (*n == 0) {
        free(list);
        return CLNN_OK;
    }
    survey_item *all = calloc(*n, sizeof *all);
    if (!all) {
        free(list);
        return clnn__fail(NULL, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    }
    for (size_t i = 0; i < *n; i++) {
        clnn__device_describe(list[i].platform, list[i].device, (unsigned)i,
                              clnn__device_platform_index(list, i), &all[i].info);
        clnn__device_choice_facts(list[i].device, &all[i].rank);
        all[i].rank.index = (unsigned)i;
        describe_rank(&all[i]);
    }
    free(list);
    /* rank = how many devices rank before it: a handful of devices, and no
     * qsort, whose comparator would need the array in a global (this
     * function runs in several threads at once) */
    for (size_t i = 0; i < *n; i++)
        for (size_t j = 0; j < *n; j++)
            if (j != i && rank_cmp(&all[j], &all[i]) < 0) all[i].rank.rank++;
    *items = all;
    return CLNN_OK;
}

clnn_status clnn_device_rank_get(size_t index, clnn_device_rank *rank)
{
    CLNN_ENTRY_NO_CONTEXT();
    if (!rank) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: rank is NULL", fn);
    survey_item *items;
    size_t n;
    TRY(survey(fn, &items, &n));
    clnn_status st = clnn__check_device_index(fn, index, n);
    if (st == CLNN_OK) *rank = items[index].rank;
    free(items);
    return st;
}

static int contains_nocase(const char *hay, const char *needle)
{
    size_t nl = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < nl && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i])) i++;
        if (i == nl) return 1;
    }
    return nl == 0;
}

/* What a selector asks for. */
typedef enum { SEL_DEFAULT, SEL_INDEX, SEL_TYPE, SEL_NAME } sel_kind;

static sel_kind parse_selector(const char *sel, size_t *idx, clnn_device_type *type)
{
    if (!sel || !*sel || strcasecmp(sel, "default") == 0) return SEL_DEFAULT;
    if (isdigit((unsigned char)sel[0])) {
        char *end = NULL;
        unsigned long long v = strtoull(sel, &end, 10);
        if (*end == '\0') {
            *idx = v > SIZE_MAX ? SIZE_MAX : (size_t)v;
            return SEL_INDEX;
        }
    }
    static const struct { const char *word; clnn_device_type type; } words[] = {
        {"gpu", CLNN_DEVICE_GPU}, {"cpu", CLNN_DEVICE_CPU}, {"accelerator", CLNN_DEVICE_ACCELERATOR}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasecmp(sel, words[i].word) == 0) {
            *type = words[i].type;
            return SEL_TYPE;
        }
    return SEL_NAME;
}

static int selectable(const survey_item *it, sel_kind kind, clnn_device_type type, const char *sel)
{
    const clnn_device_info *d = &it->info;
    if (!it->rank.available) return 0;
    switch (kind) {
    case SEL_DEFAULT: return d->type != CLNN_DEVICE_OTHER;
    case SEL_TYPE: return d->type == type;
    case SEL_NAME:
        return contains_nocase(d->vendor, sel) || contains_nocase(d->name, sel) ||
               contains_nocase(d->platform_name, sel);
    case SEL_INDEX: break;
    }
    return 0;
}

/* The failure message: what was asked, why it failed, then every device with
 * its index and rank in words, so the user can pick one. */
static clnn_status fail_listing(const survey_item *items, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static clnn_status fail_listing(const survey_item *items, size_t n, const char *fmt, ...)
{
    char msg[CLNN_ERROR_LEN];
    va_list ap;
    va_start(ap, fmt);
    int off = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (off >= 0 && (size_t)off < sizeof msg)
        off += snprintf(msg + off, sizeof msg - (size_t)off, "; devices:");
    for (size_t i = 0; i < n && off >= 0 && (size_t)off < sizeof msg; i++)
        off += snprintf(msg + off, sizeof msg - (size_t)off, " [%zu] %s (%s; rank %u: %s)%s", i, items[i].info.name,
                        items[i].info.vendor, items[i].rank.rank, items[i].rank.reason, i + 1 < n ? ";" : "");
    return clnn__fail(NULL, CLNN_ERR_DEVICE_NOT_FOUND, "%s", msg);
}

/* The selector as the messages quote it: a long one is shortened, so the
 * device list after it always fits in the error message. */
#define SHOWN_MAX 64
static const char *shown(const char *selector, char buf[SHOWN_MAX + 48])
{
    size_t len = strlen(selector);
    if (len <= SHOWN_MAX) return selector;
    snprintf(buf, SHOWN_MAX + 48, "%.*s...' (%zu characters) '", SHOWN_MAX, selector, len);
    return buf;
}

/* The devices a non-index selector matches, in rank order, into order[]
 * (room for n); their count. The default keeps those of the best-ranked
 * match's type, so that processes sharing a machine spread over its GPUs
 * and never onto the CPU beside them. */
static size_t matches_by_rank(const survey_item *items, size_t n, sel_kind kind, clnn_device_type type,
                              const char *sel, size_t *order)
{
    size_t count = 0;
    for (unsigned r = 0; r < n; r++)
        for (size_t i = 0; i < n; i++)
            if (items[i].rank.rank == r && selectable(&items[i], kind, type, sel) &&
                (kind != SEL_DEFAULT || count == 0 || items[i].info.type == items[order[0]].info.type))
                order[count++] = i;
    return count;
}

/* clnn_device_select for slot 0, clnn_device_select_nth for the others. */
static clnn_status select_slot(const char *fn, const char *selector, size_t slot, size_t *index, size_t *matches)
{
    survey_item *items;
    size_t n;
    TRY(survey(fn, &items, &n));
    if (n == 0)
        return clnn__fail(NULL, CLNN_ERR_DEVICE_NOT_FOUND,
                          "%s: no OpenCL device found (is an ICD such as "
                          "pocl-opencl-icd installed? see /etc/OpenCL/vendors)", fn);

    const char *source = "selector";
    if (!selector || !*selector) {
        selector = getenv("CLNN_DEVICE");
        source = "CLNN_DEVICE";
    }
    size_t want = 0;
    clnn_device_type type = CLNN_DEVICE_OTHER;
    sel_kind kind = parse_selector(selector, &want, &type);
    char short_buf[SHOWN_MAX + 48];
    const char *quoted = selector ? shown(selector, short_buf) : "";
    clnn_status st = CLNN_OK;
    size_t *order = malloc(n * sizeof *order), count = 0;
    if (!order) {
        st = clnn__fail(NULL, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    } else if (kind == SEL_INDEX) {
        if (want >= n)
            st = fail_listing(items, n, "%s: %s '%s' is past the last device", fn, source, quoted);
        else if (!items[want].rank.available)
            st = fail_listing(items, n, "%s: %s '%s' is device [%zu] %s, which is %s", fn, source, quoted, want,
                              items[want].info.name, items[want].rank.reason);
        else
            order[count++] = want;
    } else {
        count = matches_by_rank(items, n, kind, type, selector, order);
        if (count == 0 && kind == SEL_DEFAULT)
            st = fail_listing(items, n,
                              "%s: no available GPU, CPU or accelerator to choose by default (a "
                              "simulator is chosen only by name or index, e.g. CLNN_DEVICE=oclgrind)", fn);
        else if (count == 0)
            st = fail_listing(items, n, "%s: %s '%s' matches no available device", fn, source, quoted);
    }
    if (st == CLNN_OK) {
        *index = order[slot % count];
        if (matches) *matches = count;
    }
    free(order);
    free(items);
    return st;
}

clnn_status clnn_device_select(const char *selector, size_t *index)
{
    CLNN_ENTRY_NO_CONTEXT();
    if (!index) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: index is NULL", fn);
    return clnn__device_select(fn, selector, index);
}

clnn_status clnn_device_select_nth(const char *selector, size_t slot, size_t *index, size_t *matches)
{
    CLNN_ENTRY_NO_CONTEXT();
    if (!index) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: index is NULL", fn);
    return select_slot(fn, selector, slot, index, matches);
}

clnn_status clnn__device_select(const char *fn, const char *selector, size_t *index)
{
    return select_slot(fn, selector, 0, index, NULL);
}
