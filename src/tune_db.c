/* The process's tuning database: the system directory's and the user's
 * files read once into an in-memory table (tune_db_entries.c) that each
 * launch consults down the lookup chain, and the outcomes the tuner
 * records. Format: docs/tuning.md. The file format is tune_db_json.c,
 * writing files tune_db_save.c. */
#include "tune_db_internal.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

static pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;
static db_list db;          /* the process's database, guarded by db_lock */
static int db_loaded;
static clnn_tune_db_stats db_stats;

/* Reports a problem with a file: in the stats always, on stderr once per process. */
void clnn__db_warn_once(const char *path, const char *why)
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
    if (!complete) clnn__db_warn_once(dir, "out of host memory while listing the directory; some files not read");
    if (n) qsort(names, n, sizeof *names, cmp_str); /* a fixed order: later files win ties */
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(len);
        if (path) {
            snprintf(path, len, "%s/%s", dir, names[i]);
            count_read(clnn__db_read_file(path, LAYER_SYSTEM, &db, &db_stats.entries_rejected, NULL, 0));
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
        clnn__db_warn_once(db_path, msg);
        db_stats.files_rejected++;
        return;
    }
    count_read(clnn__db_read_file(target, LAYER_USER, &db, &db_stats.entries_rejected, NULL, 0));
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

db_list *clnn__db_acquire(void)
{
    pthread_mutex_lock(&db_lock);
    ensure_loaded();
    return &db;
}

void clnn__db_release(void) { pthread_mutex_unlock(&db_lock); }

const char *clnn__db_user_path(void) { return db_path; }

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
    if (from <= CLNN_TUNE_MATCH_EXACT && (e = clnn__db_list_get(&db, 0, dev->key, strlen(dev->key), kernel, bucket))) {
        *match = CLNN_TUNE_MATCH_EXACT;
        return e;
    }
    /* the name index holds the newest entry of the name: when that is this
     * exact device's own (passed over by the caller), the level has none */
    size_t name_len = clnn__db_name_prefix_len(dev->key);
    if (from <= CLNN_TUNE_MATCH_DEVICE_NAME && name_len && (e = clnn__db_list_get(&db, 1, dev->key, name_len, kernel, bucket)) &&
        strcmp(e->device, dev->key) != 0) {
        *match = CLNN_TUNE_MATCH_DEVICE_NAME;
        return e;
    }
    if (!db.defaults) return NULL;
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
    if (from <= CLNN_TUNE_MATCH_VENDOR_TYPE && (e = clnn__db_list_get(&db, 0, vendor_key, (size_t)vendor_len, kernel, bucket))) {
        *match = CLNN_TUNE_MATCH_VENDOR_TYPE;
        return e;
    }
    if (from <= CLNN_TUNE_MATCH_TYPE && (e = clnn__db_list_get(&db, 0, type_key, (size_t)type_len, kernel, bucket))) {
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
    e.name_len = clnn__db_name_prefix_len(e.device);
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
    int ok = clnn__db_list_put(&db, &e);
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
    e.name_len = clnn__db_name_prefix_len(e.device);
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
    int ok = clnn__db_list_put(&db, &e);
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
    clnn__db_list_free(&db);
    free(db_path);
    db_path = NULL;
    db_loaded = 0;
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

clnn_status clnn_tune_db_lookup(const clnn_device_info *device, const char *kernel_id, const size_t problem[2],
                                clnn_tune_match *match, int *keeps_default, clnn_tune_config *cfg)
{
    CLNN_ENTRY_NO_CONTEXT();
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