/* Fuzz target: the tuning database's path handling (src/tune_db.c,
 * src/files.c, src/file_lock.c). Each input builds, in a private temp
 * directory, what sits at the database path and at an import source --
 * nothing, a regular file holding the input's bytes, a directory, a FIFO, a
 * socket, a symbolic link to each of those, a dangling link, a link loop, a
 * chain of links -- then loads, imports, and saves, exports or merges. The
 * oracle is docs/tuning.md's file rules, checked independently of the code:
 *   - nothing blocks (libFuzzer's -timeout catches a hang on a FIFO);
 *   - an import succeeds only from a path that leads to a regular file;
 *   - a write to a path that leads (through links) to anything but a
 *     regular file or nothing is refused with CLNN_ERR_IO, and what was
 *     there is still there: same type, a link's target unchanged, a
 *     directory's contents kept;
 *   - a write that is allowed succeeds, leaves a valid database at the
 *     link's final target (the link itself kept), and keeps the bytes of a
 *     rejected file in a .rejected copy;
 *   - no temp file is left behind. */
#define _XOPEN_SOURCE 700 /* S_IFMT: an XSI name */
#include "clnn/clnn.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

enum {
    MISSING, REGULAR, DIRECTORY, FIFO, SOCKET, LINK_REGULAR, LINK_MISSING, LINK_DIRECTORY, LINK_FIFO, LINK_LOOP,
    LINK_CHAIN, KINDS
};

static char dir[64];

static void remove_all(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char sub[512];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            remove_all(sub);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void cleanup(void) { remove_all(dir); }

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    /* short: a socket's path must fit sun_path */
    snprintf(dir, sizeof dir, "%s/cfp.XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(dir)) abort();
    char sys[128];
    snprintf(sys, sizeof sys, "%s-system", dir);
    if (mkdir(sys, 0755) != 0 && errno != EEXIST) abort();
    setenv("CLNN_TUNE_SYSTEM_DIR", sys, 1); /* no shipped entries mixed in */
    setenv("CLNN_TUNE_DB_LOCK_TIMEOUT", "1", 1);
    atexit(cleanup);
    return 0;
}

static void write_bytes(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) abort();
}

/* Makes `kind` at dir/name; targets of links are dir/name.t (and .t2). */
static void make(const char *name, int kind, const uint8_t *data, size_t size)
{
    char path[256], target[256], target2[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(target, sizeof target, "%s/%s.t", dir, name);
    snprintf(target2, sizeof target2, "%s/%s.t2", dir, name);
    int base = kind == LINK_REGULAR || kind == LINK_CHAIN ? REGULAR : kind == LINK_DIRECTORY ? DIRECTORY
             : kind == LINK_FIFO ? FIFO : kind;
    const char *at = kind >= LINK_REGULAR ? target : path;
    if (kind == LINK_MISSING || kind == MISSING) base = MISSING;
    if (kind == LINK_LOOP) base = MISSING;
    if (base == REGULAR) write_bytes(at, data, size);
    if (base == DIRECTORY) {
        char notes[300];
        if (mkdir(at, 0755) != 0) abort();
        snprintf(notes, sizeof notes, "%s/notes", at);
        write_bytes(notes, (const uint8_t *)"notes", 5);
    }
    if (base == FIFO && mkfifo(at, 0644) != 0) abort();
    if (base == SOCKET) {
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof a.sun_path, "%s", at);
        if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0) abort();
        close(s);
    }
    if (kind == LINK_CHAIN) {
        if (symlink(target, target2) != 0 || symlink(target2, path) != 0) abort();
    } else if (kind == LINK_LOOP) {
        if (symlink(target, path) != 0 || symlink(path, target) != 0) abort();
    } else if (kind >= LINK_REGULAR && symlink(target, path) != 0) {
        abort();
    }
}

/* Where a path leads: the lstat type of the end of its links (0: nothing, -1: a loop). */
static int leads_to(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0) return (int)(st.st_mode & S_IFMT);
    return errno == ELOOP ? -1 : 0;
}

typedef struct snapshot {
    mode_t type;
    char link[256];
    int notes; /* a directory's file */
} snapshot;

static snapshot snap(const char *path)
{
    snapshot s;
    memset(&s, 0, sizeof s);
    struct stat st;
    if (lstat(path, &st) == 0) s.type = st.st_mode & S_IFMT;
    if (S_ISLNK(s.type) && readlink(path, s.link, sizeof s.link - 1) < 0) abort();
    char notes[300];
    snprintf(notes, sizeof notes, "%s/notes", path);
    s.notes = S_ISDIR(s.type) && access(notes, F_OK) == 0;
    return s;
}

static int same(const snapshot *a, const snapshot *b)
{
    return a->type == b->type && strcmp(a->link, b->link) == 0 && a->notes == b->notes;
}

static int temp_files_left(void)
{
    DIR *d = opendir(dir);
    if (!d) abort();
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

/* The bytes of dir/db.json.rejected*, compared with data: 1 when one matches. */
static int rejected_copy_holds(const uint8_t *data, size_t size)
{
    DIR *d = opendir(dir);
    if (!d) abort();
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        if (!strstr(e->d_name, ".rejected")) continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        uint8_t *buf = malloc(size + 1);
        size_t n = buf ? fread(buf, 1, size + 1, f) : 0;
        found = buf && n == size && (size == 0 || memcmp(buf, data, size) == 0);
        free(buf);
        fclose(f);
    }
    closedir(d);
    return found;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) return 0;
    int db_kind = data[0] % KINDS, src_kind = data[1] % KINDS, op = data[2] % 3;
    data += 3;
    size -= 3;
    remove_all(dir);
    if (mkdir(dir, 0700) != 0) abort();
    make("db.json", db_kind, data, size);
    /* a valid source, so that there is something to write */
    static const char valid[] = "{\"format\":\"clnn-tuning\",\"version\":1,\"entries\":[{\"device\":\"F|G|1|2\","
                                "\"kernel\":\"tensor.copy\",\"bucket\":[1024,1],\"local\":[64],\"tuned_at\":7}]}";
    make("src.json", src_kind, (const uint8_t *)valid, sizeof valid - 1);
    char db[256], src[256], out[256];
    snprintf(db, sizeof db, "%s/db.json", dir);
    snprintf(src, sizeof src, "%s/src.json", dir);
    snprintf(out, sizeof out, "%s/out.json", dir);
    setenv("CLNN_TUNE_DB", db, 1);
    if (clnn_tune_db_reload() != CLNN_OK) abort();

    /* the database as it loads: does its final target hold a database? */
    clnn_tune_db_stats st;
    if (clnn_tune_db_stats_get(&st) != CLNN_OK) abort();
    int db_leads = leads_to(db);
    int db_rejected = S_ISREG(db_leads) && st.files_rejected > 0;

    clnn_status imported = clnn_tune_db_import(src, NULL);
    if (imported == CLNN_OK && !S_ISREG(leads_to(src))) abort(); /* read through something not a file */
    if (imported != CLNN_OK && S_ISREG(leads_to(src))) abort();  /* a valid file refused */

    snapshot before = snap(db);
    clnn_status w;
    if (op == 0) {
        w = clnn_tune_db_save();
    } else if (op == 1) {
        w = clnn_tune_db_export(db, NULL, NULL);
    } else {
        const char *srcs[1] = {src};
        w = imported == CLNN_OK ? clnn_tune_db_merge(db, srcs, 1, NULL) : CLNN_ERR_IO;
        if (imported != CLNN_OK) return 0;
    }
    /* a write may go only to a regular file or where nothing is; a link is
     * followed (this process owns it), a loop or a dangling link is not */
    int writable = (db_leads == 0 && !S_ISLNK(before.type)) || S_ISREG(db_leads);
    if (!writable) {
        if (w != CLNN_ERR_IO) abort();
        snapshot after = snap(db);
        if (!same(&before, &after)) abort(); /* the non-file was renamed, replaced or emptied */
    } else if (op == 2 && db_rejected) {
        if (w != CLNN_ERR_IO) abort(); /* merge refuses a destination that is not a database */
    } else {
        if (w != CLNN_OK) abort();
        snapshot after = snap(db);
        if (after.type != before.type && before.type != 0) abort(); /* a link stays a link */
        if (strcmp(after.link, before.link) != 0) abort();
        if (clnn_tune_db_import(db, NULL) != CLNN_OK) abort(); /* a valid database at the end of the links */
        if (op == 0 && db_rejected && !rejected_copy_holds(data, size)) abort(); /* the rejected bytes kept */
    }
    if (temp_files_left()) abort();
    return 0;
}
