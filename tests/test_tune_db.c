/* The tuning database without a device: save-load round trip, the fallback
 * chain with fake device keys, corrupt / truncated / foreign / hand-edited
 * files, import / export / merge, two processes saving at once, bad input.
 * The file rules (tests/test_tune_db_files.c has the file types, links,
 * locks and full disks) are in docs/tuning.md. */
#include "tune_db_util.h"

#include <stdint.h>
#include <sys/wait.h>

static char dir[256], user_db[300], sys_dir[300];

static void fallback_chain(void)
{
    char path[400];
    snprintf(path, sizeof path, "%s/defaults.json", sys_dir);
    write_text(path, HEADER ENTRY("default|FakeVendor|gpu", "tensor.axpy", 1024, 512) ","
                     ENTRY("default|*|gpu", "tensor.fill_f32", 1024, 16) ","
                     ENTRY("default|FakeVendor|gpu", "tensor.copy", 1024, 8) "]}");
    write_text(user_db, HEADER ENTRY(FAKE, "tensor.copy", 1024, 128) ","
                        ENTRY("FakeVendor|FakeGPU 9000|0.9|64", "tensor.scale", 1024, 32) ","
                        ENTRY("FakeVendor|FakeGPU 9000|0.9|64", "tensor.copy", 1024, 4) ","
                        "{\"device\":\"" FAKE "\",\"kernel\":\"tensor.random_uniform\",\"bucket\":[1024,1],"
                        "\"keeps_default\":true,\"tuned_at\":5}]}");
    clnn_tune_db_reload();
    clnn_device_info d = fake_device("FakeVendor", "FakeGPU 9000", "1.0", CLNN_DEVICE_GPU);
    clnn_tune_match m;
    int keeps;
    clnn_tune_config cfg;
    lookup(&d, "tensor.copy", 1000, &m, &keeps, &cfg); /* present at three levels: exact wins */
    CHECK(m == CLNN_TUNE_MATCH_EXACT && cfg.local[0] == 128 && !keeps, "copy: match %d local %zu", m, cfg.local[0]);
    lookup(&d, "tensor.scale", 1000, &m, &keeps, &cfg);
    CHECK(m == CLNN_TUNE_MATCH_DEVICE_NAME && cfg.local[0] == 32, "scale: match %d local %zu", m, cfg.local[0]);
    lookup(&d, "tensor.axpy", 513, &m, &keeps, &cfg);
    CHECK(m == CLNN_TUNE_MATCH_VENDOR_TYPE && cfg.local[0] == 512, "axpy: match %d local %zu", m, cfg.local[0]);
    lookup(&d, "tensor.fill_f32", 1024, &m, &keeps, &cfg);
    CHECK(m == CLNN_TUNE_MATCH_TYPE && cfg.local[0] == 16, "fill: match %d local %zu", m, cfg.local[0]);
    lookup(&d, "tensor.random_uniform", 700, &m, &keeps, &cfg);
    CHECK(m == CLNN_TUNE_MATCH_EXACT && keeps == 1, "random_uniform: match %d keeps %d", m, keeps);
    lookup(&d, "tensor.random_normal", 1000, &m, &keeps, &cfg);
    CHECK(m == CLNN_TUNE_MATCH_HEURISTIC && cfg.local[0] == 0, "random_normal: match %d", m);
    lookup(&d, "tensor.copy", 1025, &m, &keeps, &cfg); /* bucket 2048: nothing there */
    CHECK(m == CLNN_TUNE_MATCH_HEURISTIC, "copy 1025: match %d", m);
    lookup(&d, "tensor.copy", 513, &m, &keeps, &cfg); /* bucket 1024 again */
    CHECK(m == CLNN_TUNE_MATCH_EXACT && cfg.local[0] == 128, "copy 513: match %d", m);

    /* another driver of the same device: the by-name level */
    clnn_device_info other = fake_device("FakeVendor", "FakeGPU 9000", "2.5", CLNN_DEVICE_GPU);
    lookup(&other, "tensor.copy", 1000, &m, &keeps, &cfg);
    CHECK(m == CLNN_TUNE_MATCH_DEVICE_NAME && (cfg.local[0] == 128 || cfg.local[0] == 4),
          "other driver copy: match %d local %zu", m, cfg.local[0]);
    /* another device of the vendor: vendor defaults only */
    clnn_device_info sibling = fake_device("FakeVendor", "FakeGPU 100", "1.0", CLNN_DEVICE_GPU);
    lookup(&sibling, "tensor.copy", 1000, &m, &keeps, &cfg);
    CHECK(m == CLNN_TUNE_MATCH_VENDOR_TYPE && cfg.local[0] == 8, "sibling copy: match %d local %zu", m, cfg.local[0]);
    lookup(&sibling, "tensor.scale", 1000, &m, &keeps, &cfg);
    CHECK(m == CLNN_TUNE_MATCH_HEURISTIC, "sibling scale: match %d", m);
    /* another vendor's GPU: the any-vendor GPU defaults; a CPU: nothing */
    clnn_device_info stranger = fake_device("Other Inc.", "X1", "3", CLNN_DEVICE_GPU);
    lookup(&stranger, "tensor.fill_f32", 1000, &m, &keeps, &cfg);
    CHECK(m == CLNN_TUNE_MATCH_TYPE && cfg.local[0] == 16, "stranger fill: match %d", m);
    lookup(&stranger, "tensor.axpy", 1000, &m, &keeps, &cfg);
    CHECK(m == CLNN_TUNE_MATCH_HEURISTIC, "stranger axpy: match %d", m);
    clnn_device_info cpu = fake_device("FakeVendor", "FakeGPU 100", "1.0", CLNN_DEVICE_CPU);
    lookup(&cpu, "tensor.axpy", 1000, &m, &keeps, &cfg);
    CHECK(m == CLNN_TUNE_MATCH_HEURISTIC, "cpu axpy: match %d", m);

    clnn_tune_db_stats st;
    CHECK(clnn_tune_db_stats_get(&st) == CLNN_OK, "stats");
    CHECK(st.user_entries == 4 && st.system_entries == 3 && st.files_rejected == 0,
          "stats: %zu user, %zu system, %u rejected", st.user_entries, st.system_entries, st.files_rejected);
    remove(path);
}

/* import -> save -> reload -> the same answers; export and merge. */
static void round_trip(void)
{
    char src[400], exported[400], merged[400];
    snprintf(src, sizeof src, "%s/src.json", dir);
    snprintf(exported, sizeof exported, "%s/exported.json", dir);
    snprintf(merged, sizeof merged, "%s/merged.json", dir);
    remove(user_db);
    write_text(src, HEADER ENTRY(FAKE, "tensor.copy", 1048576, 64) "," ENTRY(FAKE, "tensor.axpy", 1, 32) "]}");
    clnn_tune_db_reload();
    size_t added = 0, written = 0, entries = 0;
    CHECK(clnn_tune_db_import(src, &added) == CLNN_OK && added == 2, "import: %zu (%s)", added, clnn_last_error(NULL));
    CHECK(clnn_tune_db_save() == CLNN_OK, "save: %s", clnn_last_error(NULL));
    CHECK(file_exists(user_db), "saved file exists");
    clnn_tune_db_reload();
    clnn_device_info d = fake_device("FakeVendor", "FakeGPU 9000", "1.0", CLNN_DEVICE_GPU);
    clnn_tune_match m;
    int keeps;
    clnn_tune_config cfg;
    lookup(&d, "tensor.copy", 1000000, &m, &keeps, &cfg);
    CHECK(m == CLNN_TUNE_MATCH_EXACT && cfg.local[0] == 64, "reloaded copy: match %d local %zu", m, cfg.local[0]);
    lookup(&d, "tensor.axpy", 1, &m, &keeps, &cfg);
    CHECK(m == CLNN_TUNE_MATCH_EXACT && cfg.local[0] == 32, "reloaded axpy: match %d local %zu", m, cfg.local[0]);

    CHECK(clnn_tune_db_export(exported, "FakeGPU", &written) == CLNN_OK && written == 2, "export: %zu", written);
    CHECK(clnn_tune_db_export(exported, "no such device", &written) == CLNN_OK && written == 0, "filtered export");
    CHECK(clnn_tune_db_export(exported, NULL, &written) == CLNN_OK && written == 2, "export all");
    /* merge: the newer entry of a key wins */
    write_text(merged, HEADER ENTRY(FAKE, "tensor.copy", 1048576, 16) "," ENTRY(FAKE, "tensor.scale", 8, 8) "]}");
    char newer[400];
    snprintf(newer, sizeof newer, "%s/newer.json", dir);
    write_text(newer, HEADER "{\"device\":\"" FAKE "\",\"kernel\":\"tensor.scale\",\"bucket\":[8,1],\"local\":[4],"
                      "\"tuned_at\":999}]}");
    const char *srcs[2] = {exported, newer};
    CHECK(clnn_tune_db_merge(merged, srcs, 2, &entries) == CLNN_OK && entries == 3, "merge: %zu entries (%s)",
          entries, clnn_last_error(NULL));
    const char *text = read_text(merged);
    CHECK(text && strstr(text, "\"tuned_at\":\t999") && !strstr(text, "[16, 1, 1]"),
          "merge kept the newer entries:\n%s", text ? text : "(none)");
}

static void bad_files(void)
{
    clnn_tune_db_stats st;
    clnn_device_info d = fake_device("FakeVendor", "FakeGPU 9000", "1.0", CLNN_DEVICE_GPU);
    clnn_tune_match m;
    int keeps;
    clnn_tune_config cfg;
    const char *valid = HEADER ENTRY(FAKE, "tensor.copy", 1024, 64) "," ENTRY(FAKE, "tensor.scale", 1024, 32) "]}";
    char truncated[1024];
    snprintf(truncated, sizeof truncated, "%.*s", (int)(strlen(valid) / 2), valid);
    const char *bad[] = {
        truncated,
        "\x01\x02garbage\xff",
        "",
        "{\"format\":\"clnn-tuning\",\"version\":2,\"entries\":[" ENTRY(FAKE, "tensor.copy", 1024, 64) "]}",
        "{\"format\":\"something-else\",\"version\":1,\"entries\":[]}",
        "[1, 2, 3]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text(user_db, bad[i]);
        char aside[400];
        snprintf(aside, sizeof aside, "%s.rejected", user_db);
        remove(aside);
        clnn_tune_db_reload();
        lookup(&d, "tensor.copy", 1000, &m, &keeps, &cfg);
        CHECK(m == CLNN_TUNE_MATCH_HEURISTIC, "bad file %zu: match %d", i, m);
        CHECK(clnn_tune_db_stats_get(&st) == CLNN_OK && st.files_rejected == 1 && st.last_warning[0],
              "bad file %zu reported: rejected %u, warning '%s'", i, st.files_rejected, st.last_warning);
        /* saving keeps the bad file aside and writes a valid one */
        CHECK(clnn_tune_db_import(user_db, NULL) == CLNN_ERR_IO, "importing bad file %zu fails", i);
        CHECK(clnn_tune_db_save() == CLNN_OK, "save over bad file %zu: %s", i, clnn_last_error(NULL));
        const char *kept = read_text(aside);
        CHECK(kept && strcmp(kept, bad[i]) == 0, "bad file %zu kept as .rejected", i);
        clnn_tune_db_reload();
        CHECK(clnn_tune_db_stats_get(&st) == CLNN_OK && st.files_rejected == 0, "bad file %zu replaced", i);
    }
    /* hand-edited: malformed entries are skipped, the valid ones kept */
    write_text(user_db, HEADER ENTRY(FAKE, "tensor.copy", 1000, 64) ","           /* bucket not a power of two */
                        "{\"device\":\"" FAKE "\",\"kernel\":\"tensor.axpy\"}," /* no bucket */
                        ENTRY(FAKE, "tensor.fill_f32", 1024, 0) ","              /* local 0 */
                        "{\"device\":\"" FAKE "\",\"kernel\":\"tensor.fill_i32\",\"bucket\":[1024,1],\"local\":[64],"
                        "\"params\":{\"WPT\":4}}," /* a parameter the kernel does not have: ignored at lookup */
                        ENTRY(FAKE, "tensor.scale", 1024, 32) "]}");
    clnn_tune_db_reload();
    CHECK(clnn_tune_db_stats_get(&st) == CLNN_OK && st.files_rejected == 0 && st.entries_rejected == 3 &&
              st.user_entries == 2,
          "hand-edited: %u entries rejected, %zu kept", st.entries_rejected, st.user_entries);
    lookup(&d, "tensor.scale", 1000, &m, &keeps, &cfg);
    CHECK(m == CLNN_TUNE_MATCH_EXACT && cfg.local[0] == 32, "hand-edited: valid entry kept (match %d)", m);
    lookup(&d, "tensor.fill_i32", 1000, &m, &keeps, &cfg);
    CHECK(m == CLNN_TUNE_MATCH_HEURISTIC, "hand-edited: unknown parameter ignored (match %d)", m);
    lookup(&d, "tensor.copy", 1000, &m, &keeps, &cfg);
    CHECK(m == CLNN_TUNE_MATCH_HEURISTIC, "hand-edited: bad bucket ignored (match %d)", m);
}

/* Two processes import different entries and save, many times, at once. */
static void concurrent_writers(void)
{
    remove(user_db);
    clnn_tune_db_reload(); /* the children start from an empty database */
    enum { ROUNDS = 40 };
    int go[2];
    REQUIRE(pipe(go) == 0, "pipe");
    pid_t pid[2];
    for (int c = 0; c < 2; c++) {
        pid[c] = fork();
        REQUIRE(pid[c] >= 0, "fork");
        if (pid[c] == 0) {
            char b;
            close(go[1]);
            if (read(go[0], &b, 1) != 0) _exit(3); /* start together when the pipe closes */
            int ok = 1;
            for (int r = 0; r < ROUNDS; r++) {
                char src[400], text[600];
                snprintf(src, sizeof src, "%s/child%d.json", dir, c);
                snprintf(text, sizeof text,
                         HEADER "{\"device\":\"Child%d|dev|1|1\",\"kernel\":\"tensor.copy\",\"bucket\":[%lu,1],"
                                "\"local\":[64]}]}",
                         c, 1ul << r);
                write_text(src, text);
                ok &= clnn_tune_db_import(src, NULL) == CLNN_OK && clnn_tune_db_save() == CLNN_OK;
            }
            _exit(ok ? 0 : 1);
        }
    }
    close(go[0]);
    close(go[1]);
    for (int c = 0; c < 2; c++) {
        int status = 0;
        waitpid(pid[c], &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d failed", c);
    }
    clnn_tune_db_reload();
    size_t missing = 0;
    for (int c = 0; c < 2; c++) {
        char name[32];
        snprintf(name, sizeof name, "Child%d", c);
        clnn_device_info d = fake_device(name, "dev", "1", CLNN_DEVICE_CPU);
        snprintf(d.key, sizeof d.key, "Child%d|dev|1|1", c);
        for (int r = 0; r < ROUNDS; r++) {
            clnn_tune_match m;
            int keeps;
            clnn_tune_config cfg;
            lookup(&d, "tensor.copy", (size_t)1 << r, &m, &keeps, &cfg);
            missing += m != CLNN_TUNE_MATCH_EXACT;
        }
    }
    CHECK(missing == 0, "%zu of %d entries lost by concurrent saves", missing, 2 * ROUNDS);
    clnn_tune_db_stats st;
    CHECK(clnn_tune_db_stats_get(&st) == CLNN_OK && st.user_entries == 2 * ROUNDS, "%zu entries after the race",
          st.user_entries);
}

static void bad_input(void)
{
    const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT;
    clnn_device_info d = fake_device("FakeVendor", "FakeGPU 9000", "1.0", CLNN_DEVICE_GPU);
    size_t problem[2] = {1, 1}, n;
    clnn_tune_match m;
    int keeps;
    clnn_tune_config cfg;
    char small[4], missing[400];
    snprintf(missing, sizeof missing, "%s/does-not-exist.json", dir);
    EXPECT_FAIL(NULL, INVAL, "clnn_tune_db_lookup", clnn_tune_db_lookup(NULL, "tensor.copy", problem, &m, &keeps, &cfg));
    EXPECT_FAIL(NULL, INVAL, "clnn_tune_db_lookup", clnn_tune_db_lookup(&d, "tensor.nothing", problem, &m, &keeps, &cfg));
    EXPECT_FAIL(NULL, INVAL, "clnn_tune_db_lookup", clnn_tune_db_lookup(&d, "tensor.copy", NULL, &m, &keeps, &cfg));
    EXPECT_FAIL(NULL, INVAL, "clnn_tune_db_import", clnn_tune_db_import(NULL, &n));
    EXPECT_FAIL(NULL, CLNN_ERR_IO, "clnn_tune_db_import", clnn_tune_db_import(missing, &n));
    EXPECT_FAIL(NULL, INVAL, "clnn_tune_db_export", clnn_tune_db_export(NULL, NULL, &n));
    EXPECT_FAIL(NULL, INVAL, "clnn_tune_db_merge", clnn_tune_db_merge(NULL, NULL, 0, &n));
    const char *srcs[1] = {missing};
    char dst[400];
    snprintf(dst, sizeof dst, "%s/merge-dst.json", dir);
    EXPECT_FAIL(NULL, CLNN_ERR_IO, "clnn_tune_db_merge", clnn_tune_db_merge(dst, srcs, 1, &n));
    CHECK(!file_exists(dst), "a failed merge writes nothing");
    EXPECT_FAIL(NULL, INVAL, "clnn_tune_db_path", clnn_tune_db_path(small, sizeof small));
    EXPECT_FAIL(NULL, INVAL, "clnn_tune_db_stats_get", clnn_tune_db_stats_get(NULL));
    EXPECT_FAIL(NULL, INVAL, "clnn_tune_kernel_info_get", clnn_tune_kernel_info_get(100000, NULL));
    char path[400];
    CHECK(clnn_tune_db_path(path, sizeof path) == CLNN_OK && strcmp(path, user_db) == 0, "CLNN_TUNE_DB is the path");
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/clnn-test-tune-db-XXXXXX");
    REQUIRE(mkdtemp(dir), "mkdtemp");
    snprintf(user_db, sizeof user_db, "%s/user/tuning.json", dir);
    snprintf(sys_dir, sizeof sys_dir, "%s/system", dir);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/user %s", dir, sys_dir);
    REQUIRE(system(cmd) == 0, "mkdir");
    setenv("CLNN_TUNE_DB", user_db, 1);
    setenv("CLNN_TUNE_SYSTEM_DIR", sys_dir, 1);

    fallback_chain();
    round_trip();
    bad_files();
    concurrent_writers();
    bad_input();

    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (check_failed == 0 && system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return check_summary();
}
