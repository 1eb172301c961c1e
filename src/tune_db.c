/* The tuning database: JSON files (a read-only system directory and the
 * user's file) read once per process into an in-memory hash table that each
 * launch consults; atomic, locked, merging saves. Format: docs/tuning.md. */
#include "internal.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#define DB_FORMAT "clnn-tuning"
#define DB_VERSION 1
#define MAX_FILE_BYTES (64u << 20)
#define MAX_SECONDS 1e9    /* a measured time: 30 years is already absurd */
#define MAX_TUNED_AT 1e15  /* seconds since the epoch: exact in a double and a long long */
#define DEFAULT_LOCK_TIMEOUT 10.0 /* seconds a save waits for another writer */
#define PARAM_NAME_LEN 16
/* clnn's kernels have at most CLNN_MAX_TUNE_PARAMS; CLBlast's Xgemm has 16 */
#define DB_MAX_PARAMS CLNN_CLBLAST_MAX_PARAMS

enum { LAYER_SYSTEM = 0, LAYER_USER = 1, LAYER_SESSION = 2 /* this process only, never saved */ };

typedef struct db_entry {
    char device[512];   /* device key, or "default|<vendor>|<type>" for shipped defaults */
    size_t name_len;    /* length of the "vendor|name" prefix indexed by name; 0: not indexed */
    char kernel[64];
    size_t bucket[2];
    int keeps_default;  /* the heuristic is best: no configuration stored */
    size_t local[3];
    int nparams;
    char pname[DB_MAX_PARAMS][PARAM_NAME_LEN];
    int pvalue[DB_MAX_PARAMS];
    double seconds, default_seconds;
    long long tuned_at; /* seconds since the epoch; the newer entry of a key wins */
    int layer;
} db_entry;

/* Open addressing over a list's indices (+1; 0 is empty). */
typedef struct db_table {
    uint32_t *slots;
    size_t cap, used;
} db_table;

typedef struct db_list {
    db_entry *items;
    size_t n, cap;
    db_table exact;  /* (device, kernel, bucket) */
    db_table byname; /* (vendor|name, kernel, bucket) */
} db_list;

static pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;
static db_list db;          /* the process's database, guarded by db_lock */
static int db_loaded;
static size_t db_defaults;  /* entries with a "default|..." device: the last two levels */
static clnn_tune_db_stats db_stats;

/* ------------------------------------------------------------------ keys */

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
static size_t name_prefix_len(const char *key)
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

static const db_entry *table_get(const db_list *l, int by_name, const char *device, size_t dev_len,
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

static void list_free(db_list *l)
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
static int list_put(db_list *l, const db_entry *e)
{
    if (l == &db && strncmp(e->device, "default|", 8) == 0) db_defaults++; /* an upper bound is enough */
    const db_entry *old = table_get(l, 0, e->device, strlen(e->device), e->kernel, e->bucket);
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
        const db_entry *named = table_get(l, 1, e->device, e->name_len, e->kernel, e->bucket);
        if (!named || named == &l->items[index] || replaces(e, named)) table_set(l, &l->byname, 1, index);
    }
    return 1;
}

/* --------------------------------------------------------------- parsing */

/* Reports a problem with a file: in the stats always, on stderr once per process. */
static void warn_once(const char *path, const char *why)
{
    static pthread_mutex_t warn_lock = PTHREAD_MUTEX_INITIALIZER; /* import/merge read without db_lock */
    static uint64_t warned[64];
    static size_t n_warned;
    size_t len = strlen(path) + strlen(why) + 32;
    char *msg = malloc(len);
    if (!msg) return;
    snprintf(msg, len, "tuning database %s: %s", path, why);
    uint64_t h = XXH3_64bits(msg, strlen(msg));
    pthread_mutex_lock(&warn_lock);
    snprintf(db_stats.last_warning, sizeof db_stats.last_warning, "%s", msg);
    int seen = 0;
    for (size_t i = 0; i < n_warned; i++) seen |= warned[i] == h;
    if (!seen && n_warned < 64) warned[n_warned++] = h;
    if (!seen) fprintf(stderr, "clnn: warning: %s\n", msg);
    pthread_mutex_unlock(&warn_lock);
    free(msg);
}

static int json_size(const cJSON *j, size_t *out)
{
    if (!cJSON_IsNumber(j) || j->valuedouble < 1 || j->valuedouble > 9.0e15 ||
        j->valuedouble != (double)(long long)j->valuedouble)
        return 0;
    *out = (size_t)j->valuedouble;
    return 1;
}

/* An optional number at key: absent (0 stays), or in 0..max into *out; 0 when present and not such a number. */
static int json_optional(const cJSON *j, const char *key, double max, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!v) return 1;
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= max)) return 0; /* NaN fails too */
    *out = v->valuedouble;
    return 1;
}

/* One entry of a file; NULL when valid, else why not. */
static const char *parse_entry(const cJSON *j, int layer, db_entry *e)
{
    memset(e, 0, sizeof *e);
    e->layer = layer;
    const cJSON *dev = cJSON_GetObjectItemCaseSensitive(j, "device");
    const cJSON *ker = cJSON_GetObjectItemCaseSensitive(j, "kernel");
    const cJSON *bucket = cJSON_GetObjectItemCaseSensitive(j, "bucket");
    if (!cJSON_IsString(dev) || !dev->valuestring[0] || strlen(dev->valuestring) >= sizeof e->device)
        return "\"device\" is not a non-empty string";
    if (!cJSON_IsString(ker) || !ker->valuestring[0] || strlen(ker->valuestring) >= sizeof e->kernel)
        return "\"kernel\" is not a non-empty string";
    strcpy(e->device, dev->valuestring);
    strcpy(e->kernel, ker->valuestring);
    e->name_len = name_prefix_len(e->device);
    if (!cJSON_IsArray(bucket) || cJSON_GetArraySize(bucket) != 2 ||
        !json_size(cJSON_GetArrayItem(bucket, 0), &e->bucket[0]) ||
        !json_size(cJSON_GetArrayItem(bucket, 1), &e->bucket[1]))
        return "\"bucket\" is not two positive integers";
    for (int d = 0; d < 2; d++)
        if (e->bucket[d] & (e->bucket[d] - 1)) return "\"bucket\" holds a value that is not a power of two";
    e->keeps_default = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "keeps_default"));
    if (!e->keeps_default) {
        const cJSON *local = cJSON_GetObjectItemCaseSensitive(j, "local");
        int n = cJSON_GetArraySize(local);
        if (!cJSON_IsArray(local) || n < 1 || n > 3) return "\"local\" is not an array of 1 to 3 sizes";
        e->local[0] = e->local[1] = e->local[2] = 1;
        for (int d = 0; d < n; d++)
            if (!json_size(cJSON_GetArrayItem(local, d), &e->local[d]) || e->local[d] > 65536)
                return "\"local\" holds a size that is not in 1..65536";
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(j, "params"), *p;
        if (params && !cJSON_IsObject(params)) return "\"params\" is not an object";
        cJSON_ArrayForEach(p, params) {
            if (e->nparams == DB_MAX_PARAMS) return "\"params\" has too many entries";
            /* the range first: converting 1e300 to int is undefined */
            if (!cJSON_IsNumber(p) || !(p->valuedouble >= INT_MIN && p->valuedouble <= INT_MAX) ||
                p->valuedouble != (double)(int)p->valuedouble || strlen(p->string) >= PARAM_NAME_LEN)
                return "\"params\" holds a value that is not an integer";
            strcpy(e->pname[e->nparams], p->string);
            e->pvalue[e->nparams++] = (int)p->valuedouble;
        }
    }
    double at = 0;
    if (!json_optional(j, "seconds", MAX_SECONDS, &e->seconds) ||
        !json_optional(j, "default_seconds", MAX_SECONDS, &e->default_seconds))
        return "\"seconds\" or \"default_seconds\" is not a time in 0..1e9 seconds";
    if (!json_optional(j, "tuned_at", MAX_TUNED_AT, &at)) return "\"tuned_at\" is not a time in 0..1e15 seconds";
    e->tuned_at = (long long)at; /* in range: the conversion is defined */
    return NULL;
}

/* READ_REJECTED: the contents are not a database (kept aside before a save
 * replaces them); READ_UNREADABLE: the file itself cannot be read (not a
 * regular file, no permission): an error to report, never damage to replace. */
enum { READ_OK = 0, READ_MISSING = 1, READ_REJECTED = 2, READ_UNREADABLE = 3 };

/* Reads a database file into l (merging); reports problems once, and copies
 * the reason into why (may be NULL). */
static int read_file(const char *path, int layer, db_list *l, unsigned *bad_entries, char *why, size_t whylen)
{
    char *text = NULL, reason[1200] = "";
    size_t len = 0;
    int r = clnn__read_regular(path, 0, MAX_FILE_BYTES, &text, &len, reason, sizeof reason);
    if (r == CLNN__READ_MISSING) return READ_MISSING;
    cJSON *root = r == CLNN__READ_OK ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(root, "entries");
    if (r != CLNN__READ_OK) {} /* reason set by the reader */
    else if (!root) snprintf(reason, sizeof reason, "not valid JSON (corrupt or truncated)");
    else if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, DB_FORMAT) != 0)
        snprintf(reason, sizeof reason, "not a clnn tuning database (\"format\" is not \"" DB_FORMAT "\")");
    else if (!cJSON_IsNumber(ver) || ver->valuedouble != DB_VERSION)
        snprintf(reason, sizeof reason, "written by another version of clnn (\"version\" is not 1)");
    else if (!cJSON_IsArray(entries)) snprintf(reason, sizeof reason, "\"entries\" is not an array");
    if (reason[0]) {
        char msg[1300];
        snprintf(msg, sizeof msg, "%s; ignored", reason);
        warn_once(path, msg);
        if (why) snprintf(why, whylen, "%s", reason);
        cJSON_Delete(root);
        return r == CLNN__READ_FAILED ? READ_UNREADABLE : READ_REJECTED;
    }
    unsigned bad = 0, index = 0;
    char first_bad[256] = "";
    const cJSON *j;
    cJSON_ArrayForEach(j, entries) {
        db_entry e;
        const char *err = parse_entry(j, layer, &e);
        if (err) {
            if (!bad++) snprintf(first_bad, sizeof first_bad, "entry %u: %s", index, err);
        } else {
            list_put(l, &e);
        }
        index++;
    }
    cJSON_Delete(root);
    if (bad) {
        char msg[400];
        snprintf(msg, sizeof msg, "%u malformed entr%s ignored (first: %s)", bad, bad == 1 ? "y" : "ies", first_bad);
        warn_once(path, msg);
        if (bad_entries) *bad_entries += bad;
    }
    return READ_OK;
}

static cJSON *entry_json(const db_entry *e)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "device", e->device);
    cJSON_AddStringToObject(j, "kernel", e->kernel);
    double b[2] = {(double)e->bucket[0], (double)e->bucket[1]};
    cJSON_AddItemToObject(j, "bucket", cJSON_CreateDoubleArray(b, 2));
    if (e->keeps_default) {
        cJSON_AddTrueToObject(j, "keeps_default");
    } else {
        double loc[3] = {(double)e->local[0], (double)e->local[1], (double)e->local[2]};
        cJSON_AddItemToObject(j, "local", cJSON_CreateDoubleArray(loc, 3));
        cJSON *p = cJSON_AddObjectToObject(j, "params");
        for (int i = 0; i < e->nparams; i++) cJSON_AddNumberToObject(p, e->pname[i], e->pvalue[i]);
    }
    cJSON_AddNumberToObject(j, "seconds", e->seconds);
    cJSON_AddNumberToObject(j, "default_seconds", e->default_seconds);
    cJSON_AddNumberToObject(j, "tuned_at", (double)e->tuned_at);
    return j;
}

/* The JSON text of l's entries that pass keep (*n gets their number); NULL when out of memory. */
static char *render(const db_list *l, int (*keep)(const db_entry *, const void *), const void *arg, size_t *n)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", DB_FORMAT);
    cJSON_AddNumberToObject(root, "version", DB_VERSION);
    cJSON *arr = cJSON_AddArrayToObject(root, "entries");
    *n = 0;
    for (size_t i = 0; i < l->n; i++)
        if (!keep || keep(&l->items[i], arg)) {
            cJSON_AddItemToArray(arr, entry_json(&l->items[i]));
            (*n)++;
        }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    return text;
}

/* ---------------------------------------------------------------- loading */

static char *db_path; /* the user database's path, as configured (guarded by db_lock) */

/* The user database's path, malloc'ed at its full length (NULL: out of memory). */
static char *user_path(void)
{
    const char *env = getenv("CLNN_TUNE_DB"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    const char *base = env && *env ? env : xdg && *xdg ? xdg : home && *home ? home : "";
    const char *tail = env && *env ? "" : xdg && *xdg ? "/clnn/tuning.json"
                     : home && *home ? "/.cache/clnn/tuning.json" : "clnn-tuning.json";
    size_t len = strlen(base) + strlen(tail) + 1;
    char *path = malloc(len);
    if (path) snprintf(path, len, "%s%s", base, tail);
    return path;
}

/* The shipped defaults: $CLNN_TUNE_SYSTEM_DIR, else the installed directory,
 * else the source tree's share/tuning (running from a build tree). */
static const char *system_dir(void)
{
    const char *env = getenv("CLNN_TUNE_SYSTEM_DIR");
    if (env && *env) return env;
    DIR *d = opendir(CLNN_SYSTEM_TUNING_DIR);
    if (d) {
        closedir(d);
        return CLNN_SYSTEM_TUNING_DIR;
    }
    return CLNN_SOURCE_TUNING_DIR;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void count_read(int r)
{
    if (r == READ_OK) db_stats.files_loaded++;
    else if (r != READ_MISSING) db_stats.files_rejected++;
}

static void load_system(void)
{
    const char *dir = system_dir();
    DIR *d = opendir(dir);
    if (!d) return;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int complete = 1;
    struct dirent *de;
    while ((de = readdir(d)) && complete) { /* every file, however many */
        size_t len = strlen(de->d_name);
        if (len <= 5 || strcmp(de->d_name + len - 5, ".json") != 0) continue;
        if (n == cap) {
            char **more = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
            if (!more) break;
            names = more;
        }
        complete = (names[n] = strdup(de->d_name)) != NULL;
        n += (size_t)complete;
    }
    complete = complete && !de;
    closedir(d);
    if (!complete) warn_once(dir, "out of host memory while listing the directory; some files not read");
    if (n) qsort(names, n, sizeof *names, cmp_str); /* a fixed order: later files win ties */
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(len);
        if (path) {
            snprintf(path, len, "%s/%s", dir, names[i]);
            count_read(read_file(path, LAYER_SYSTEM, &db, &db_stats.entries_rejected, NULL, 0));
        }
        free(path);
        free(names[i]);
    }
    free(names);
}

/* The user's file, through the user's own symlinks (clnn__resolve_target). */
static void load_user(void)
{
    char why[1200], *target = NULL;
    if (clnn__resolve_target(db_path, &target, why, sizeof why) != 0) {
        char msg[1300];
        snprintf(msg, sizeof msg, "%s; ignored", why);
        warn_once(db_path, msg);
        db_stats.files_rejected++;
        return;
    }
    count_read(read_file(target, LAYER_USER, &db, &db_stats.entries_rejected, NULL, 0));
    free(target);
}

static void ensure_loaded(void)
{
    if (db_loaded) return;
    db_loaded = 1;
    db_path = user_path();
    /* the stats' fixed field gets the path only whole: "" when it does not fit */
    if (db_path && strlen(db_path) < sizeof db_stats.user_path) strcpy(db_stats.user_path, db_path);
    load_system();
    if (db_path) load_user();
}

static void count_layers(size_t *user, size_t *sys)
{
    *user = *sys = 0;
    for (size_t i = 0; i < db.n; i++) {
        if (db.items[i].layer == LAYER_SYSTEM) (*sys)++;
        else (*user)++;
    }
}

/* ----------------------------------------------------------------- lookup */

static const char *type_name(clnn_device_type type)
{
    switch (type) {
    case CLNN_DEVICE_CPU: return "cpu";
    case CLNN_DEVICE_GPU: return "gpu";
    case CLNN_DEVICE_ACCELERATOR: return "accelerator";
    default: return "other";
    }
}

/* The lookup chain from level `from` (CLNN_TUNE_MATCH_EXACT: the whole
 * chain) down; call with db_lock held. */
static const db_entry *chain_find(const clnn_device_info *dev, const char *kernel, const size_t bucket[2],
                                  clnn_tune_match from, clnn_tune_match *match)
{
    if (db.n == 0) return NULL;
    const db_entry *e;
    if (from <= CLNN_TUNE_MATCH_EXACT && (e = table_get(&db, 0, dev->key, strlen(dev->key), kernel, bucket))) {
        *match = CLNN_TUNE_MATCH_EXACT;
        return e;
    }
    /* the name index holds the newest entry of the name: when that is this
     * exact device's own (passed over by the caller), the level has none */
    size_t name_len = name_prefix_len(dev->key);
    if (from <= CLNN_TUNE_MATCH_DEVICE_NAME && name_len && (e = table_get(&db, 1, dev->key, name_len, kernel, bucket)) &&
        strcmp(e->device, dev->key) != 0) {
        *match = CLNN_TUNE_MATCH_DEVICE_NAME;
        return e;
    }
    if (!db_defaults) return NULL;
    /* the shipped-default keys of the last device asked about (launches ask
     * about the same device over and over; formatting them costs more than
     * the whole rest of the lookup) */
    static _Thread_local char last_key[sizeof dev->key], vendor_key[400], type_key[64];
    static _Thread_local int vendor_len, type_len;
    if (strcmp(last_key, dev->key) != 0 || !vendor_len) {
        snprintf(last_key, sizeof last_key, "%s", dev->key);
        vendor_len = snprintf(vendor_key, sizeof vendor_key, "default|%s|%s", dev->vendor, type_name(dev->type));
        type_len = snprintf(type_key, sizeof type_key, "default|*|%s", type_name(dev->type));
    }
    if (from <= CLNN_TUNE_MATCH_VENDOR_TYPE && (e = table_get(&db, 0, vendor_key, (size_t)vendor_len, kernel, bucket))) {
        *match = CLNN_TUNE_MATCH_VENDOR_TYPE;
        return e;
    }
    if (from <= CLNN_TUNE_MATCH_TYPE && (e = table_get(&db, 0, type_key, (size_t)type_len, kernel, bucket))) {
        *match = CLNN_TUNE_MATCH_TYPE;
        return e;
    }
    return NULL;
}

/* Turns an entry into t's configuration; 0 when it does not fit t. */
static int entry_config(const db_entry *e, const clnn__tunable *t, clnn__config *cfg)
{
    for (int d = 0; d < 3; d++) cfg->local[d] = d < (int)t->dims ? e->local[d] : 1;
    for (int i = 0; i < e->nparams; i++) {
        int found = 0;
        for (int p = 0; p < CLNN_MAX_TUNE_PARAMS && t->params[p].name && !found; p++) {
            if (strcmp(t->params[p].name, e->pname[i]) != 0) continue;
            for (int v = 0; v < t->params[p].n; v++)
                if (t->params[p].values[v] == e->pvalue[i]) found = 1;
            if (!found) return 0; /* a value this kernel does not offer */
            cfg->param[p] = e->pvalue[i];
        }
        if (!found) return 0; /* a parameter this kernel does not have */
    }
    return 1;
}

int clnn__tune_db_find_from(const clnn_device_info *dev, const clnn__tunable *t, const size_t problem[2],
                            clnn_tune_match from, clnn__config *cfg, clnn_tune_match *match)
{
    size_t bucket[2];
    clnn__tune_bucket(problem, bucket);
    *match = CLNN_TUNE_MATCH_HEURISTIC;
    pthread_mutex_lock(&db_lock);
    ensure_loaded();
    const db_entry *e = chain_find(dev, t->id, bucket, from, match);
    int r = 0;
    if (e) r = e->keeps_default ? 2 : entry_config(e, t, cfg) ? 1 : -1;
    pthread_mutex_unlock(&db_lock);
    return r;
}

int clnn__tune_db_find(const clnn_device_info *dev, const clnn__tunable *t, const size_t problem[2],
                       clnn__config *cfg, clnn_tune_match *match)
{
    int r = clnn__tune_db_find_from(dev, t, problem, CLNN_TUNE_MATCH_EXACT, cfg, match);
    if (r > 0) return r;
    *match = CLNN_TUNE_MATCH_HEURISTIC;
    return 0;
}

clnn_status clnn__tune_db_put(const clnn_device_info *dev, const clnn__tunable *t, const size_t problem[2],
                              const clnn__config *cfg, double seconds, double default_seconds, int persist)
{
    db_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.device, sizeof e.device, "%s", dev->key);
    e.name_len = name_prefix_len(e.device);
    snprintf(e.kernel, sizeof e.kernel, "%s", t->id);
    clnn__tune_bucket(problem, e.bucket);
    e.keeps_default = cfg == NULL;
    if (cfg) {
        for (int d = 0; d < 3; d++) e.local[d] = d < (int)t->dims ? cfg->local[d] : 1;
        for (int p = 0; p < CLNN_MAX_TUNE_PARAMS && t->params[p].name; p++) {
            snprintf(e.pname[p], PARAM_NAME_LEN, "%s", t->params[p].name);
            e.pvalue[p] = cfg->param[p];
            e.nparams++;
        }
    }
    e.seconds = seconds;
    e.default_seconds = default_seconds;
    e.tuned_at = (long long)time(NULL);
    e.layer = persist ? LAYER_USER : LAYER_SESSION;
    pthread_mutex_lock(&db_lock);
    ensure_loaded();
    int ok = list_put(&db, &e);
    pthread_mutex_unlock(&db_lock);
    return ok ? CLNN_OK : clnn__fail(NULL, CLNN_ERR_OUT_OF_MEMORY, "tuning database: out of host memory");
}

/* CLBlast's kernels (tune_clblast.c): named parameters, one entry per device
 * and kernel (bucket [1, 1]), looked up through the same chain. */
static const size_t whole_device[2] = {1, 1};

int clnn__tune_db_find_named(const clnn_device_info *dev, const char *kernel, clnn_clblast_params *p,
                             int *keeps_default, clnn_tune_match *match)
{
    *match = CLNN_TUNE_MATCH_HEURISTIC;
    pthread_mutex_lock(&db_lock);
    ensure_loaded();
    const db_entry *e = chain_find(dev, kernel, whole_device, CLNN_TUNE_MATCH_EXACT, match);
    if (e) {
        *keeps_default = e->keeps_default;
        p->count = (size_t)e->nparams;
        for (int i = 0; i < e->nparams; i++) {
            snprintf(p->names[i], sizeof p->names[i], "%s", e->pname[i]);
            p->values[i] = e->pvalue[i] < 0 ? 0 : (size_t)e->pvalue[i];
        }
    }
    pthread_mutex_unlock(&db_lock);
    if (!e) *match = CLNN_TUNE_MATCH_HEURISTIC;
    return e != NULL;
}

clnn_status clnn__tune_db_put_named(const clnn_device_info *dev, const char *kernel, const clnn_clblast_params *p,
                                    double seconds, double default_seconds)
{
    db_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.device, sizeof e.device, "%s", dev->key);
    e.name_len = name_prefix_len(e.device);
    snprintf(e.kernel, sizeof e.kernel, "%s", kernel);
    e.bucket[0] = whole_device[0];
    e.bucket[1] = whole_device[1];
    e.keeps_default = p == NULL;
    for (size_t i = 0; p && i < p->count && i < DB_MAX_PARAMS; i++) {
        snprintf(e.pname[i], PARAM_NAME_LEN, "%s", p->names[i]);
        e.pvalue[i] = (int)p->values[i];
        e.nparams++;
    }
    if (!e.keeps_default) e.local[0] = e.local[1] = e.local[2] = 1; /* CLBlast picks its own */
    e.seconds = seconds;
    e.default_seconds = default_seconds;
    e.tuned_at = (long long)time(NULL);
    e.layer = LAYER_USER;
    pthread_mutex_lock(&db_lock);
    ensure_loaded();
    int ok = list_put(&db, &e);
    pthread_mutex_unlock(&db_lock);
    return ok ? CLNN_OK : clnn__fail(NULL, CLNN_ERR_OUT_OF_MEMORY, "tuning database: out of host memory");
}

/* ------------------------------------------------------------- public API */

clnn_status clnn_tune_db_path(char *buf, size_t len)
{
    if (!buf || len == 0) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "clnn_tune_db_path: %s",
                                            !buf ? "buf is NULL" : "len is 0");
    char *path = user_path();
    if (!path) return clnn__fail(NULL, CLNN_ERR_OUT_OF_MEMORY, "clnn_tune_db_path: out of host memory");
    size_t need = strlen(path) + 1;
    if (need > len) {
        free(path);
        return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "clnn_tune_db_path: len %zu is too small for %zu bytes",
                          len, need);
    }
    memcpy(buf, path, need);
    free(path);
    return CLNN_OK;
}

clnn_status clnn_tune_db_reload(void)
{
    pthread_mutex_lock(&db_lock);
    list_free(&db);
    free(db_path);
    db_path = NULL;
    db_loaded = 0;
    db_defaults = 0;
    memset(&db_stats, 0, sizeof db_stats);
    pthread_mutex_unlock(&db_lock);
    return CLNN_OK;
}

clnn_status clnn_tune_db_stats_get(clnn_tune_db_stats *stats)
{
    if (!stats) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "clnn_tune_db_stats_get: stats is NULL");
    pthread_mutex_lock(&db_lock);
    ensure_loaded();
    count_layers(&db_stats.user_entries, &db_stats.system_entries);
    *stats = db_stats;
    pthread_mutex_unlock(&db_lock);
    return CLNN_OK;
}

/* ------------------------------------------------------ writing files */

/* $CLNN_TUNE_DB_LOCK_TIMEOUT seconds (0: try once), else 10. */
static double lock_timeout(void)
{
    const char *env = getenv("CLNN_TUNE_DB_LOCK_TIMEOUT");
    char *end;
    double t = env && *env ? strtod(env, &end) : DEFAULT_LOCK_TIMEOUT;
    if (env && *env && (*end || !(t >= 0 && t <= 86400))) {
        warn_once("lock", "CLNN_TUNE_DB_LOCK_TIMEOUT is not a number of seconds in 0..86400; using 10");
        t = DEFAULT_LOCK_TIMEOUT;
    }
    return t;
}

/* Resolves path for writing (the file to replace: clnn__resolve_target),
 * creates its directory and takes "<target>.lock". On failure nothing was
 * written and *target is NULL. */
static clnn_status begin_update(const char *fn, const char *path, char **target, int *lock_fd)
{
    char why[1400];
    *lock_fd = -1;
    if (clnn__resolve_target(path, target, why, sizeof why) != 0)
        return clnn__fail(NULL, CLNN_ERR_IO, "%s: %s is %s; nothing written", fn, path, why);
    char *dir = clnn__dir_of(*target);
    if (dir) clnn__mkdir_p(dir); /* when it fails, the lock's open says why */
    free(dir);
    size_t len = strlen(*target) + 6;
    char *lock = malloc(len);
    int took_over = 0;
    if (lock) {
        snprintf(lock, len, "%s.lock", *target);
        *lock_fd = clnn__lock_acquire(lock, lock_timeout(), why, sizeof why, &took_over);
    }
    free(lock);
    if (*lock_fd < 0) {
        free(*target);
        *target = NULL;
        return lock ? clnn__fail(NULL, CLNN_ERR_IO, "%s: %s; nothing written", fn, why)
                    : clnn__fail(NULL, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    }
    if (took_over) warn_once(*target, "took over a stale lock (its recorded holder no longer exists)");
    return CLNN_OK;
}

typedef struct aside {
    char *name;  /* where the rejected file is kept */
    int moved;   /* renamed there (no hard links on this file system), not linked */
} aside;

/* Keeps the rejected file at path under the first free name of
 * "<path>.rejected", "<path>.rejected.2", ...: a hard link, so the file
 * stays in place until the rename over it (the caller holds the lock: no
 * other clnn writer takes the same name meanwhile). 0, or -1 with errno. */
static int keep_aside(const char *path, aside *a)
{
    size_t len = strlen(path) + 24;
    for (unsigned i = 1; i <= 100000; i++) {
        char *name = malloc(len);
        if (!name) return -1;
        snprintf(name, len, i == 1 ? "%s.rejected" : "%s.rejected.%u", path, i);
        if (link(path, name) == 0) {
            a->name = name;
            return 0;
        }
        int err = errno;
        struct stat st;
        if (err != EEXIST && lstat(name, &st) != 0 && errno == ENOENT && rename(path, name) == 0) {
            a->name = name;
            a->moved = 1;
            return 0;
        }
        free(name);
        if (err != EEXIST) {
            errno = err;
            return -1;
        }
    }
    errno = EEXIST;
    return -1;
}

static void undo_aside(const char *path, aside *a)
{
    if (a->name && (a->moved ? rename(a->name, path) : unlink(a->name)) != 0) {} /* best effort: keep the copy */
    free(a->name);
    a->name = NULL;
}

/* Replaces target by the entries of l that pass keep: first a complete,
 * fsync'ed temp file, then (set_aside) the rejected file at target kept
 * under a name of its own, then the rename. A failure at any step leaves
 * every file as it was (a full disk fails at the first). */
static clnn_status replace_file(const char *fn, const char *target, const db_list *l,
                                int (*keep)(const db_entry *, const void *), const void *arg, size_t *written,
                                int set_aside)
{
    size_t n = 0;
    char *text = render(l, keep, arg, &n);
    if (!text) return clnn__fail(NULL, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    clnn__chunk chunks[2] = {{text, strlen(text)}, {"\n", 1}};
    char *tmp = clnn__atomic_prepare(target, chunks, 2, 1);
    int err = errno;
    free(text);
    if (!tmp) return clnn__fail(NULL, CLNN_ERR_IO, "%s: cannot write %s: %s; nothing changed", fn, target, strerror(err));
    aside kept = {NULL, 0};
    if (set_aside && keep_aside(target, &kept) != 0) {
        err = errno;
        clnn__atomic_abort(tmp);
        return clnn__fail(NULL, CLNN_ERR_IO, "%s: cannot keep the rejected %s aside: %s; nothing changed", fn, target,
                          strerror(err));
    }
    if (clnn__atomic_commit(tmp, target) != 0) {
        err = errno;
        undo_aside(target, &kept);
        return clnn__fail(NULL, CLNN_ERR_IO, "%s: cannot replace %s: %s; nothing changed", fn, target, strerror(err));
    }
    if (kept.name) {
        size_t len = strlen(kept.name) + 64;
        char *msg = malloc(len);
        if (msg) snprintf(msg, len, "the rejected file is kept as %s", kept.name);
        warn_once(target, msg ? msg : "the rejected file is kept aside");
        free(msg);
    }
    free(kept.name);
    if (written) *written = n;
    /* writers killed mid-save leave their temp files: gone once stale */
    const char *slash = strrchr(target, '/');
    char *dir = clnn__dir_of(target);
    if (dir) clnn__remove_stale_temps(dir, slash ? slash + 1 : target);
    free(dir);
    return CLNN_OK;
}

static int keep_persistent(const db_entry *e, const void *arg)
{
    (void)arg;
    return e->layer == LAYER_USER;
}

clnn_status clnn_tune_db_save(void)
{
    static const char *fn = "clnn_tune_db_save";
    pthread_mutex_lock(&db_lock);
    ensure_loaded();
    char *target = NULL;
    int fd = -1;
    clnn_status st = db_path ? begin_update(fn, db_path, &target, &fd)
                             : clnn__fail(NULL, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    if (st != CLNN_OK) {
        pthread_mutex_unlock(&db_lock);
        return st;
    }
    /* what other processes saved since we loaded, then ours on top (newer wins) */
    db_list disk = {0};
    char why[1200];
    int r = read_file(target, LAYER_USER, &disk, NULL, why, sizeof why);
    if (r == READ_UNREADABLE) {
        st = clnn__fail(NULL, CLNN_ERR_IO, "%s: %s is %s; nothing written", fn, target, why);
    } else {
        for (size_t i = 0; i < db.n; i++)
            if (db.items[i].layer == LAYER_USER) list_put(&disk, &db.items[i]);
        st = replace_file(fn, target, &disk, keep_persistent, NULL, NULL, r == READ_REJECTED);
        if (st == CLNN_OK)
            for (size_t i = 0; i < disk.n; i++) list_put(&db, &disk.items[i]); /* see the others' entries too */
    }
    clnn__lock_release(fd);
    list_free(&disk);
    free(target);
    pthread_mutex_unlock(&db_lock);
    return st;
}

/* Reads a file the caller named (import, merge sources); an error names it and why. */
static clnn_status read_named(const char *fn, const char *path, db_list *l)
{
    char why[1200] = "";
    int r = read_file(path, LAYER_USER, l, NULL, why, sizeof why);
    if (r == READ_OK) return CLNN_OK;
    if (r == READ_UNREADABLE) return clnn__fail(NULL, CLNN_ERR_IO, "%s: %s is %s", fn, path, why);
    return clnn__fail(NULL, CLNN_ERR_IO, "%s: %s is not a readable clnn tuning database (%s)", fn, path,
                      r == READ_MISSING ? "it does not exist" : why);
}

clnn_status clnn_tune_db_import(const char *path, size_t *added)
{
    static const char *fn = "clnn_tune_db_import";
    if (!path) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: path is NULL", fn);
    db_list in = {0};
    clnn_status st = read_named(fn, path, &in);
    if (st != CLNN_OK) {
        list_free(&in);
        return st;
    }
    size_t n = 0;
    pthread_mutex_lock(&db_lock);
    ensure_loaded();
    for (size_t i = 0; i < in.n; i++) n += (size_t)list_put(&db, &in.items[i]);
    pthread_mutex_unlock(&db_lock);
    list_free(&in);
    if (added) *added = n;
    return CLNN_OK;
}

static int keep_device(const db_entry *e, const void *arg)
{
    return e->layer == LAYER_USER && (!arg || strstr(e->device, (const char *)arg));
}

clnn_status clnn_tune_db_export(const char *path, const char *device_filter, size_t *written)
{
    static const char *fn = "clnn_tune_db_export";
    if (!path) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: path is NULL", fn);
    char why[1200], *target = NULL;
    if (clnn__resolve_target(path, &target, why, sizeof why) != 0)
        return clnn__fail(NULL, CLNN_ERR_IO, "%s: %s is %s; nothing written", fn, path, why);
    pthread_mutex_lock(&db_lock);
    ensure_loaded();
    clnn_status st = replace_file(fn, target, &db, keep_device, device_filter, written, 0);
    pthread_mutex_unlock(&db_lock);
    free(target);
    return st;
}

clnn_status clnn_tune_db_merge(const char *dst, const char *const *srcs, size_t nsrcs, size_t *entries)
{
    static const char *fn = "clnn_tune_db_merge";
    if (!dst) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: dst is NULL", fn);
    if (nsrcs && !srcs) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: srcs is NULL", fn);
    for (size_t i = 0; i < nsrcs; i++)
        if (!srcs[i]) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: srcs[%zu] is NULL", fn, i);
    /* every source must be readable before dst is touched */
    db_list merged = {0};
    clnn_status st = CLNN_OK;
    for (size_t i = 0; i < nsrcs && st == CLNN_OK; i++) st = read_named(fn, srcs[i], &merged);
    char *target = NULL;
    int fd = -1;
    if (st == CLNN_OK) st = begin_update(fn, dst, &target, &fd);
    if (st != CLNN_OK) {
        list_free(&merged);
        return st;
    }
    db_list out = {0};
    char why[1200];
    int r = read_file(target, LAYER_USER, &out, NULL, why, sizeof why);
    if (r == READ_REJECTED) {
        st = clnn__fail(NULL, CLNN_ERR_IO, "%s: %s exists and is not a readable clnn tuning database (%s)", fn, dst,
                        why);
    } else if (r == READ_UNREADABLE) {
        st = clnn__fail(NULL, CLNN_ERR_IO, "%s: %s is %s; nothing written", fn, target, why);
    } else {
        for (size_t i = 0; i < merged.n; i++) list_put(&out, &merged.items[i]);
        st = replace_file(fn, target, &out, NULL, NULL, entries, 0);
    }
    clnn__lock_release(fd);
    free(target);
    list_free(&out);
    list_free(&merged);
    return st;
}

clnn_status clnn_tune_db_lookup(const clnn_device_info *device, const char *kernel_id, const size_t problem[2],
                                clnn_tune_match *match, int *keeps_default, clnn_tune_config *cfg)
{
    static const char *fn = "clnn_tune_db_lookup";
    if (!device || !kernel_id || !problem || !match || !keeps_default || !cfg)
        return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn,
                          !device ? "device" : !kernel_id ? "kernel_id" : !problem ? "problem"
                          : !match ? "match" : !keeps_default ? "keeps_default" : "cfg");
    const clnn__tunable *t = clnn__tunable_find(kernel_id);
    if (!t) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: no tunable kernel '%s'", fn, kernel_id);
    clnn__config c = {{1, 1, 1}, {0}};
    for (int i = 0; i < CLNN_MAX_TUNE_PARAMS && t->params[i].name; i++) c.param[i] = t->params[i].fallback;
    int r = clnn__tune_db_find(device, t, problem, &c, match);
    *keeps_default = r == 2;
    memset(cfg, 0, sizeof *cfg);
    for (int d = 0; d < 3; d++) cfg->local[d] = r == 1 ? c.local[d] : 0;
    for (int i = 0; i < CLNN_TUNE_MAX_PARAMS; i++) cfg->params[i] = c.param[i];
    return CLNN_OK;
}
