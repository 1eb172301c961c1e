/* The tuning database's entries: keys (device, kernel, problem bucket),
 * a list with two open-addressing indexes (the exact device key, and
 * "vendor|name" for the chain's second level), and which of two entries of
 * one key wins. */
#include "tune_db_internal.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

void clnn__tune_bucket(const size_t problem[2], size_t bucket[2])
{
    for (int d = 0; d < 2; d++) {
        size_t p = problem[d] ? problem[d] : 1, b = 1;
        while (b < p && b < ((size_t)1 << 62)) b <<= 1;
        bucket[d] = b;
    }
}

static uint64_t key_hash(const char *device, size_t dev_len, const char *kernel, const size_t bucket[2])
{
    uint64_t seed = XXH3_64bits(device, dev_len) ^ ((uint64_t)bucket[0] * 0x9E3779B97F4A7C15ull) ^
                    ((uint64_t)bucket[1] * 0xC2B2AE3D27D4EB4Full);
    return XXH3_64bits_withSeed(kernel, strlen(kernel), seed);
}

static int entry_matches(const db_entry *e, const char *device, size_t dev_len, int by_name, const char *kernel,
                         const size_t bucket[2])
{
    size_t len = by_name ? e->name_len : strlen(e->device);
    return len == dev_len && memcmp(e->device, device, dev_len) == 0 && strcmp(e->kernel, kernel) == 0 &&
           e->bucket[0] == bucket[0] && e->bucket[1] == bucket[1];
}

/* Length of "vendor|name" in a "vendor|name|driver|units" key; 0 for others. */
size_t clnn__db_name_prefix_len(const char *key)
{
    if (strncmp(key, "default|", 8) == 0) return 0;
    const char *bar = strchr(key, '|');
    if (!bar) return 0;
    bar = strchr(bar + 1, '|');
    return bar ? (size_t)(bar - key) : 0;
}

/* Slot of the key in t (empty slot when absent); t must have a free slot. */
static size_t table_slot(const db_table *t, const db_list *l, const char *device, size_t dev_len, int by_name,
                         const char *kernel, const size_t bucket[2])
{
    size_t mask = t->cap - 1, i = (size_t)key_hash(device, dev_len, kernel, bucket) & mask;
    while (t->slots[i] && !entry_matches(&l->items[t->slots[i] - 1], device, dev_len, by_name, kernel, bucket))
        i = (i + 1) & mask;
    return i;
}

const db_entry *clnn__db_list_get(const db_list *l, int by_name, const char *device, size_t dev_len,
                                 const char *kernel, const size_t bucket[2])
{
    const db_table *t = by_name ? &l->byname : &l->exact;
    if (!t->used) return NULL;
    size_t i = table_slot(t, l, device, dev_len, by_name, kernel, bucket);
    return t->slots[i] ? &l->items[t->slots[i] - 1] : NULL;
}

static int table_rebuild(db_list *l, db_table *t, int by_name, size_t cap);

/* Points the key of entry `index` at it in t (replacing what was there). */
static int table_set(db_list *l, db_table *t, int by_name, size_t index)
{
    if ((t->used + 1) * 2 > t->cap && table_rebuild(l, t, by_name, t->cap ? 2 * t->cap : 64) != 0) return -1;
    const db_entry *e = &l->items[index];
    size_t i = table_slot(t, l, e->device, by_name ? e->name_len : strlen(e->device), by_name, e->kernel, e->bucket);
    if (!t->slots[i]) t->used++;
    t->slots[i] = (uint32_t)(index + 1);
    return 0;
}

static int table_rebuild(db_list *l, db_table *t, int by_name, size_t cap)
{
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots) return -1;
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    t->used = 0;
    for (size_t i = 0; i < l->n; i++)
        if ((!by_name || l->items[i].name_len) && table_set(l, t, by_name, i) != 0) return -1;
    return 0;
}

void clnn__db_list_free(db_list *l)
{
    free(l->items);
    free(l->exact.slots);
    free(l->byname.slots);
    memset(l, 0, sizeof *l);
}

/* Whether `incoming` should replace `old` for the same key: the user's
 * entries beat shipped ones, then the newer one wins (a tie goes to incoming). */
static int replaces(const db_entry *incoming, const db_entry *old)
{
    int in_rank = incoming->layer == LAYER_SYSTEM ? 0 : 1, old_rank = old->layer == LAYER_SYSTEM ? 0 : 1;
    if (in_rank != old_rank) return in_rank > old_rank;
    return incoming->tuned_at >= old->tuned_at;
}

/* Adds or replaces the entry of e's key; returns 1 when e was taken. */
int clnn__db_list_put(db_list *l, const db_entry *e)
{
    if (strncmp(e->device, "default|", 8) == 0) l->defaults++; /* an upper bound is enough */
    const db_entry *old = clnn__db_list_get(l, 0, e->device, strlen(e->device), e->kernel, e->bucket);
    size_t index;
    if (old) {
        if (!replaces(e, old)) return 0;
        index = (size_t)(old - l->items);
        l->items[index] = *e;
    } else {
        if (l->n == l->cap) {
            size_t cap = l->cap ? 2 * l->cap : 64;
            db_entry *n = realloc(l->items, cap * sizeof *n);
            if (!n) return 0;
            l->items = n;
            l->cap = cap;
        }
        index = l->n++;
        l->items[index] = *e;
        if (table_set(l, &l->exact, 0, index) != 0) {
            l->n--;
            return 0;
        }
    }
    if (e->name_len) {
        const db_entry *named = clnn__db_list_get(l, 1, e->device, e->name_len, e->kernel, e->bucket);
        if (!named || named == &l->items[index] || replaces(e, named)) table_set(l, &l->byname, 1, index);
    }
    return 1;
}