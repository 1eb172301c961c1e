/* Fuzz target: the tuning-database reader (src/tune_db.c). Each input is
 * written to a file and imported. Whatever the bytes, the import must not
 * crash and must either be refused with an error status or accept some
 * entries; accepted entries must survive a round trip: exported to a second
 * file and imported again into an empty database, the same number comes back. */
#include "clnn/clnn.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64], input[256], exported[256], user_db[256];

static void cleanup(void)
{
    unlink(input);
    unlink(exported);
    unlink(user_db);
    char lock[300];
    snprintf(lock, sizeof lock, "%s.lock", user_db);
    unlink(lock);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    snprintf(dir, sizeof dir, "%s/clnn-fuzz-tune.XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(dir)) abort();
    snprintf(input, sizeof input, "%s/input.json", dir);
    snprintf(exported, sizeof exported, "%s/exported.json", dir);
    snprintf(user_db, sizeof user_db, "%s/user.json", dir);
    setenv("CLNN_TUNE_DB", user_db, 1);          /* never the user's own database */
    setenv("CLNN_TUNE_SYSTEM_DIR", dir, 1);      /* no shipped entries mixed in */
    atexit(cleanup);
    return 0;
}

static size_t user_entries(void)
{
    clnn_tune_db_stats s;
    if (clnn_tune_db_stats_get(&s) != CLNN_OK) abort();
    return s.user_entries;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unlink(user_db);
    unlink(exported);
    if (clnn_tune_db_reload() != CLNN_OK || user_entries() != 0) abort(); /* an empty database to start */
    FILE *f = fopen(input, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);

    size_t added = 0;
    if (clnn_tune_db_import(input, &added) != CLNN_OK) return 0; /* refused: nothing more to check */
    size_t held = user_entries();
    if (held > added) abort(); /* entries appeared from nowhere */
    size_t written = 0;
    if (clnn_tune_db_export(exported, NULL, &written) != CLNN_OK || written != held) abort();

    unlink(user_db);
    if (clnn_tune_db_reload() != CLNN_OK || user_entries() != 0) abort();
    size_t again = 0;
    if (clnn_tune_db_import(exported, &again) != CLNN_OK || user_entries() != held) abort();
    return 0;
}
