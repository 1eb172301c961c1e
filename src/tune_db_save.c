/* Writing tuning databases: the user's file saved atomically under a
 * bounded lock, merged with what other processes saved meanwhile; import,
 * export and merge between machines; a rejected file kept aside, never
 * lost. File rules: docs/tuning.md. */
#include "tune_db_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_LOCK_TIMEOUT 10.0 /* seconds a save waits for another writer */

/* $CLNN_TUNE_DB_LOCK_TIMEOUT seconds (0: try once), else 10. */
static double lock_timeout(void)
{
    const char *env = getenv("CLNN_TUNE_DB_LOCK_TIMEOUT");
    char *end;
    double t = env && *env ? strtod(env, &end) : DEFAULT_LOCK_TIMEOUT;
    if (env && *env && (*end || !(t >= 0 && t <= 86400))) {
        clnn__db_warn_once("lock", "CLNN_TUNE_DB_LOCK_TIMEOUT is not a number of seconds in 0..86400; using 10");
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
    if (took_over) clnn__db_warn_once(*target, "took over a stale lock (its recorded holder no longer exists)");
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
    char *text = clnn__db_render(l, keep, arg, &n);
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
        clnn__db_warn_once(target, msg ? msg : "the rejected file is kept aside");
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
    CLNN_ENTRY_NO_CONTEXT();
    db_list *db = clnn__db_acquire();
    const char *db_path = clnn__db_user_path();
    char *target = NULL;
    int fd = -1;
    clnn_status st = db_path ? begin_update(fn, db_path, &target, &fd)
                             : clnn__fail(NULL, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    if (st != CLNN_OK) {
        clnn__db_release();
        return st;
    }
    /* what other processes saved since we loaded, then ours on top (newer wins) */
    db_list disk = {0};
    char why[1200];
    int r = clnn__db_read_file(target, LAYER_USER, &disk, NULL, why, sizeof why);
    if (r == READ_UNREADABLE) {
        st = clnn__fail(NULL, CLNN_ERR_IO, "%s: %s is %s; nothing written", fn, target, why);
    } else {
        for (size_t i = 0; i < db->n; i++)
            if (db->items[i].layer == LAYER_USER) clnn__db_list_put(&disk, &db->items[i]);
        st = replace_file(fn, target, &disk, keep_persistent, NULL, NULL, r == READ_REJECTED);
        if (st == CLNN_OK)
            for (size_t i = 0; i < disk.n; i++) clnn__db_list_put(db, &disk.items[i]); /* see the others' entries too */
    }
    clnn__lock_release(fd);
    clnn__db_list_free(&disk);
    free(target);
    clnn__db_release();
    return st;
}

/* Reads a file the caller named (import, merge sources); an error names it and why. */
static clnn_status read_named(const char *fn, const char *path, db_list *l)
{
    char why[1200] = "";
    int r = clnn__db_read_file(path, LAYER_USER, l, NULL, why, sizeof why);
    if (r == READ_OK) return CLNN_OK;
    if (r == READ_UNREADABLE) return clnn__fail(NULL, CLNN_ERR_IO, "%s: %s is %s", fn, path, why);
    return clnn__fail(NULL, CLNN_ERR_IO, "%s: %s is not a readable clnn tuning database (%s)", fn, path,
                      r == READ_MISSING ? "it does not exist" : why);
}

clnn_status clnn_tune_db_import(const char *path, size_t *added)
{
    CLNN_ENTRY_NO_CONTEXT();
    if (!path) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: path is NULL", fn);
    db_list in = {0};
    clnn_status st = read_named(fn, path, &in);
    if (st != CLNN_OK) {
        clnn__db_list_free(&in);
        return st;
    }
    size_t n = 0;
    db_list *db = clnn__db_acquire();
    for (size_t i = 0; i < in.n; i++) n += (size_t)clnn__db_list_put(db, &in.items[i]);
    clnn__db_release();
    clnn__db_list_free(&in);
    if (added) *added = n;
    return CLNN_OK;
}

static int keep_device(const db_entry *e, const void *arg)
{
    return e->layer == LAYER_USER && (!arg || strstr(e->device, (const char *)arg));
}

clnn_status clnn_tune_db_export(const char *path, const char *device_filter, size_t *written)
{
    CLNN_ENTRY_NO_CONTEXT();
    if (!path) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: path is NULL", fn);
    char why[1200], *target = NULL;
    if (clnn__resolve_target(path, &target, why, sizeof why) != 0)
        return clnn__fail(NULL, CLNN_ERR_IO, "%s: %s is %s; nothing written", fn, path, why);
    clnn_status st = replace_file(fn, target, clnn__db_acquire(), keep_device, device_filter, written, 0);
    clnn__db_release();
    free(target);
    return st;
}

clnn_status clnn_tune_db_merge(const char *dst, const char *const *srcs, size_t nsrcs, size_t *entries)
{
    CLNN_ENTRY_NO_CONTEXT();
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
        clnn__db_list_free(&merged);
        return st;
    }
    db_list out = {0};
    char why[1200];
    int r = clnn__db_read_file(target, LAYER_USER, &out, NULL, why, sizeof why);
    if (r == READ_REJECTED) {
        st = clnn__fail(NULL, CLNN_ERR_IO, "%s: %s exists and is not a readable clnn tuning database (%s)", fn, dst,
                        why);
    } else if (r == READ_UNREADABLE) {
        st = clnn__fail(NULL, CLNN_ERR_IO, "%s: %s is %s; nothing written", fn, target, why);
    } else {
        for (size_t i = 0; i < merged.n; i++) clnn__db_list_put(&out, &merged.items[i]);
        st = replace_file(fn, target, &out, NULL, NULL, entries, 0);
    }
    clnn__lock_release(fd);
    free(target);
    clnn__db_list_free(&out);
    clnn__db_list_free(&merged);
    return st;
}