/* The tuning database's parts, shared by its files (the rest of the tuner
 * sees only tune_internal.h):
 *   tune_db_entries.c  entries and their hash indexes (keys, buckets, which
 *                      of two entries of a key wins)
 *   tune_db_json.c     the file format: parsing (every field checked) and rendering
 *   tune_db.c          the process's database: loading the system and user
 *                      files once, the lookup chain, the tuner's reads and writes
 *   tune_db_save.c     writing files: atomic, locked, merging saves; import,
 *                      export, merge; a rejected file kept aside
 * Format and file rules: docs/tuning.md. */
#ifndef CLNN_TUNE_DB_INTERNAL_H
#define CLNN_TUNE_DB_INTERNAL_H

#include "tune_internal.h"

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
    size_t defaults; /* entries put with a "default|..." device (an upper bound): the chain's last two levels */
} db_list;

/* ---- tune_db_entries.c */

/* Length of "vendor|name" in a "vendor|name|driver|units" key; 0 for others. */
size_t clnn__db_name_prefix_len(const char *key);
/* The entry of a key (by_name: the newest of "vendor|name" = device[0..dev_len)), or NULL. */
const db_entry *clnn__db_list_get(const db_list *l, int by_name, const char *device, size_t dev_len,
                                  const char *kernel, const size_t bucket[2]);
/* Adds or replaces the entry of e's key (the user's entries beat shipped
 * ones, then the newer wins); returns 1 when e was taken. */
int clnn__db_list_put(db_list *l, const db_entry *e);
void clnn__db_list_free(db_list *l);

/* ---- tune_db_json.c */

/* READ_REJECTED: the contents are not a database (kept aside before a save
 * replaces them); READ_UNREADABLE: the file itself cannot be read (not a
 * regular file, no permission): an error to report, never damage to replace. */
enum { READ_OK = 0, READ_MISSING = 1, READ_REJECTED = 2, READ_UNREADABLE = 3 };
/* Reads a database file into l (merging); reports problems once, counts
 * malformed entries in *bad_entries (may be NULL) and copies the reason into
 * why (may be NULL). */
int clnn__db_read_file(const char *path, int layer, db_list *l, unsigned *bad_entries, char *why, size_t whylen);
/* The JSON text of l's entries that pass keep (*n gets their number); NULL when out of memory. */
char *clnn__db_render(const db_list *l, int (*keep)(const db_entry *, const void *), const void *arg, size_t *n);

/* ---- tune_db.c */

/* Reports a problem with a file: in the stats always, on stderr once per process. */
void clnn__db_warn_once(const char *path, const char *why);
/* The process's database, loaded, with its lock held until clnn__db_release. */
db_list *clnn__db_acquire(void);
void clnn__db_release(void);
/* The user database's path as configured (NULL: out of memory); with the lock held. */
const char *clnn__db_user_path(void);

#endif /* CLNN_TUNE_DB_INTERNAL_H */
