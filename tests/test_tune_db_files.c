/* The tuning database's files as an adversary, a crash or a full disk leaves
 * them (docs/tuning.md, "File rules"), each with what must hold:
 *   - a directory, FIFO, socket or device node at the database path: never
 *     renamed, replaced or written; a FIFO never blocks a lookup;
 *   - links planted at the old temp names: never followed;
 *   - a symlinked database: the target is updated and the link kept; a link
 *     owned by another user, a dangling one or one to a directory: refused;
 *   - a path past 1024 bytes: used whole, never cut;
 *   - an unreadable database: an error, not damage;
 *   - a second corrupt database: every rejected copy kept;
 *   - a full disk: a failed save changes no file;
 *   - a stopped lock holder: a bounded wait and an error naming it; a lock
 *     whose recorded holder is gone: taken over;
 *   - dead writers' temp files: removed;
 *   - more than 256 system files: every one read;
 *   - out-of-range fields (tuned_at 1e300, a bucket object): the entry refused.
 * A hang is a failure: SIGALRM ends the test with a message. */
#define _XOPEN_SOURCE 700 /* mknod: an XSI function */
#include "tune_db_util.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

static char root[256];
static const char *import_dir = root; /* where import_entry writes its source file */

static pid_t lock_holder; /* a child holding a lock: ended with the test */

static void on_alarm(int sig)
{
    (void)sig;
    if (lock_holder > 0) kill(lock_holder, SIGKILL);
    static const char msg[] = "FAIL: a tuning-database call hung (no answer within the alarm)\n";
    if (write(2, msg, sizeof msg - 1) < 0) _exit(2);
    _exit(1);
}

static void at(char *buf, size_t len, const char *name) { snprintf(buf, len, "%s/%s", root, name); }

/* Points the database at path and forgets what was loaded. */
static void use_db(const char *path)
{
    setenv("CLNN_TUNE_DB", path, 1);
    clnn_tune_db_reload();
}

/* Imports one entry for FAKE's tensor.copy at the given bucket (from a file in root). */
static void import_entry(unsigned bucket)
{
    char src[400], text[600];
    snprintf(src, sizeof src, "%s/import-src.json", import_dir);
    snprintf(text, sizeof text,
             HEADER "{\"device\":\"" FAKE "\",\"kernel\":\"tensor.copy\",\"bucket\":[%u,1],\"local\":[64],"
                    "\"tuned_at\":200}]}",
             bucket);
    write_text(src, text);
    CHECK(clnn_tune_db_import(src, NULL) == CLNN_OK, "import: %s", clnn_last_error(NULL));
}

/* Whether the database in memory has FAKE's tensor.copy at bucket n. */
static int has_entry(size_t n)
{
    clnn_device_info d = fake_device("FakeVendor", "FakeGPU 9000", "1.0", CLNN_DEVICE_GPU);
    clnn_tune_match m;
    int keeps;
    clnn_tune_config cfg;
    lookup(&d, "tensor.copy", n, &m, &keeps, &cfg);
    return m == CLNN_TUNE_MATCH_EXACT;
}

/* Names in dir containing `part` (-1 when dir cannot be read). */
static int count_names(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) n += strstr(e->d_name, part) != NULL;
    closedir(d);
    return n;
}

static mode_t type_of(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : 0;
}

static void expect_save_refused(const char *what, const char *want_in_message)
{
    clnn_status st = clnn_tune_db_save();
    const char *msg = clnn_last_error(NULL);
    CHECK(st == CLNN_ERR_IO, "%s: save returned %s, expected CLNN_ERR_IO (%s)", what, clnn_status_string(st), msg);
    CHECK(strstr(msg, "clnn_tune_db_save") && strstr(msg, want_in_message),
          "%s: the message names the function and says '%s': %s", what, want_in_message, msg);
}

/* A pid that no longer exists: a child that has exited and been reaped. */
static pid_t dead_pid(void)
{
    pid_t p = fork();
    REQUIRE(p >= 0, "fork");
    if (p == 0) _exit(0);
    REQUIRE(waitpid(p, NULL, 0) == p, "waitpid");
    return p;
}

/* ------------------------------------------------ D1, D4: not a regular file */

static void not_regular_files(void)
{
    const char *kinds[] = {"directory", "FIFO", "socket", "character device"};
    for (int k = 0; k < 4; k++) {
        char path[400], notes[500];
        snprintf(path, sizeof path, "%s/nonfile-%d", root, k);
        int made = 0;
        if (k == 0) {
            made = mkdir(path, 0755) == 0;
            snprintf(notes, sizeof notes, "%s/notes", path);
            write_text(notes, "the user's notes\n");
        } else if (k == 1) {
            made = mkfifo(path, 0644) == 0;
        } else if (k == 2) {
            int s = socket(AF_UNIX, SOCK_STREAM, 0);
            struct sockaddr_un addr = {.sun_family = AF_UNIX};
            snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
            made = s >= 0 && strlen(path) < sizeof addr.sun_path &&
                   bind(s, (struct sockaddr *)&addr, sizeof addr) == 0;
            if (s >= 0) close(s);
        } else {
            /* a node of our own for the null device (1, 3) in the temp
             * directory: no real device is ever at risk */
            struct stat null_dev;
            made = stat("/dev/null", &null_dev) == 0 && mknod(path, S_IFCHR | 0666, null_dev.st_rdev) == 0;
            if (!made) {
                char why[300];
                snprintf(why, sizeof why, "character device at the database path: mknod: %s (needs root)",
                         strerror(errno));
                test_skip(why);
                continue;
            }
        }
        REQUIRE(made, "create a %s at %s: %s", kinds[k], path, strerror(errno));
        mode_t type = type_of(path);
        use_db(path);
        alarm(20);
        CHECK(!has_entry(1000), "%s at the database path: nothing found (and no hang)", kinds[k]);
        clnn_tune_db_stats st;
        CHECK(clnn_tune_db_stats_get(&st) == CLNN_OK && st.files_rejected == 1 && strstr(st.last_warning, kinds[k]),
              "%s at the database path is reported: %u rejected, '%s'", kinds[k], st.files_rejected,
              st.last_warning);
        import_entry(1024);
        expect_save_refused(kinds[k], kinds[k]);
        /* import, export and merge refuse it the same way */
        CHECK(clnn_tune_db_import(path, NULL) == CLNN_ERR_IO && strstr(clnn_last_error(NULL), kinds[k]),
              "%s as an import source is refused: %s", kinds[k], clnn_last_error(NULL));
        CHECK(clnn_tune_db_export(path, NULL, NULL) == CLNN_ERR_IO, "%s as an export target is refused", kinds[k]);
        char src[400];
        at(src, sizeof src, "import-src.json");
        const char *srcs[1] = {src}, *bad_srcs[1] = {path};
        CHECK(clnn_tune_db_merge(path, srcs, 1, NULL) == CLNN_ERR_IO, "%s as a merge target is refused", kinds[k]);
        char dst[400];
        at(dst, sizeof dst, "merge-dst.json");
        CHECK(clnn_tune_db_merge(dst, bad_srcs, 1, NULL) == CLNN_ERR_IO && !file_exists(dst),
              "%s as a merge source is refused, nothing written", kinds[k]);
        alarm(0);
        CHECK(type_of(path) == type, "the %s is still there, untouched", kinds[k]);
        if (k == 0) CHECK(file_exists(notes), "the directory's contents are still there");
        char rejected[500];
        snprintf(rejected, sizeof rejected, "nonfile-%d.rejected", k);
        CHECK(count_names(root, rejected) == 0, "nothing renamed aside for the %s", kinds[k]);
        CHECK(count_names(root, ".tmp.") == 0, "no temp file left for the %s", kinds[k]);
    }
}

/* ----------------------------------------- D3: links planted at temp names */

static void planted_temp_links(void)
{
    char db[400], victim[400], planted[500];
    at(db, sizeof db, "planted.json");
    at(victim, sizeof victim, "victim.txt");
    write_text(victim, "precious\n");
    /* the names the old writers used: <db>.tmp.<pid> */
    snprintf(planted, sizeof planted, "%s.tmp.%ld", db, (long)getpid());
    REQUIRE(symlink(victim, planted) == 0, "symlink");
    use_db(db);
    import_entry(2048);
    CHECK(clnn_tune_db_save() == CLNN_OK, "save beside a planted link: %s", clnn_last_error(NULL));
    const char *v = read_text(victim);
    CHECK(v && strcmp(v, "precious\n") == 0, "the link's target is untouched: '%s'", v ? v : "(unreadable)");
    CHECK(type_of(db) == S_IFREG, "the database is a regular file, not the planted link");
    use_db(db);
    CHECK(has_entry(2048), "the database holds the saved entry");
    unlink(planted);
    unlink(db);
}

/* ------------------------------------------------- D5: symlinked databases */

static void symlinked_databases(void)
{
    char real[400], link_path[400], text[600];
    at(real, sizeof real, "real.json");
    at(link_path, sizeof link_path, "link.json");
    write_text(real, HEADER "{\"device\":\"" FAKE "\",\"kernel\":\"tensor.copy\",\"bucket\":[4096,1],"
                     "\"local\":[32],\"tuned_at\":100}]}");
    REQUIRE(symlink("real.json", link_path) == 0, "symlink"); /* relative, as people make them */
    use_db(link_path);
    CHECK(has_entry(4096), "the link's target is read");
    import_entry(8192);
    CHECK(clnn_tune_db_save() == CLNN_OK, "save through an own link: %s", clnn_last_error(NULL));
    ssize_t n = readlink(link_path, text, sizeof text - 1);
    CHECK(type_of(link_path) == S_IFLNK && n == 9 && strncmp(text, "real.json", 9) == 0,
          "the link is still a link to real.json");
    use_db(real);
    CHECK(has_entry(4096) && has_entry(8192), "the target holds the old and the new entry");

    /* a dangling link: refused, nothing created at its target */
    char dangling[400], nowhere[400];
    at(dangling, sizeof dangling, "dangling.json");
    at(nowhere, sizeof nowhere, "nowhere.json");
    REQUIRE(symlink(nowhere, dangling) == 0, "symlink");
    use_db(dangling);
    import_entry(16);
    expect_save_refused("dangling link", "does not exist");
    CHECK(type_of(dangling) == S_IFLNK && !file_exists(nowhere), "the dangling link stays, nothing created");

    /* a link to a directory: refused */
    char to_dir[400], a_dir[400];
    at(to_dir, sizeof to_dir, "to-dir.json");
    at(a_dir, sizeof a_dir, "a-dir");
    REQUIRE(mkdir(a_dir, 0755) == 0 && symlink(a_dir, to_dir) == 0, "link to a directory");
    use_db(to_dir);
    import_entry(16);
    expect_save_refused("link to a directory", "directory");
    CHECK(type_of(to_dir) == S_IFLNK && type_of(a_dir) == S_IFDIR, "link and directory untouched");

    /* export through an own link updates the target too */
    char exported[400], export_link[400];
    at(exported, sizeof exported, "exported-real.json");
    at(export_link, sizeof export_link, "exported-link.json");
    write_text(exported, "{}");
    REQUIRE(symlink(exported, export_link) == 0, "symlink");
    size_t written = 0;
    CHECK(clnn_tune_db_export(export_link, NULL, &written) == CLNN_OK && written > 0,
          "export through an own link: %s", clnn_last_error(NULL));
    CHECK(type_of(export_link) == S_IFLNK && strstr(read_text(exported), "clnn-tuning"),
          "the link stays and its target gets the export");

    /* a link owned by someone else (planted in a shared directory): refused */
    if (geteuid() != 0) {
        test_skip("a symlinked database owned by another user: only root can make one here");
        return;
    }
    char foreign[400];
    at(foreign, sizeof foreign, "foreign-link.json");
    REQUIRE(symlink(real, foreign) == 0 && lchown(foreign, 65534, 65534) == 0, "foreign link: %s", strerror(errno));
    char *before = strdup(read_text(real));
    use_db(foreign);
    import_entry(32);
    expect_save_refused("another user's link", "owned by");
    CHECK(type_of(foreign) == S_IFLNK && strcmp(read_text(real), before) == 0,
          "the foreign link stays and its target keeps its bytes");
    free(before);
}

/* ------------------------------------------------------ D2: long paths */

static void long_path(void)
{
    char path[2048];
    size_t len = (size_t)snprintf(path, sizeof path, "%s", root);
    while (len < 1040) { /* components of 100 characters: far below NAME_MAX */
        path[len++] = '/';
        for (int i = 0; i < 99; i++, len++) path[len] = (char)('a' + i % 26);
        path[len] = '\0';
        REQUIRE(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s", path);
    }
    snprintf(path + len, sizeof path - len, "/tuning.json");
    len = strlen(path);
    use_db(path);
    import_entry(64);
    CHECK(clnn_tune_db_save() == CLNN_OK, "save at a %zu-character path: %s", len, clnn_last_error(NULL));
    CHECK(type_of(path) == S_IFREG, "the file is at the whole path");
    char cut[2048];
    snprintf(cut, sizeof cut, "%.1023s", path);
    CHECK(type_of(cut) != S_IFREG, "no file was made at the path cut to 1023 bytes");
    char got[2048];
    CHECK(clnn_tune_db_path(got, sizeof got) == CLNN_OK && strcmp(got, path) == 0,
          "clnn_tune_db_path gives the whole path");
    clnn_tune_db_stats st;
    CHECK(clnn_tune_db_stats_get(&st) == CLNN_OK && st.user_path[0] == '\0',
          "stats.user_path is empty, not cut, when the path does not fit: '%.40s...'", st.user_path);
    use_db(path);
    CHECK(has_entry(64), "a fresh load reads the saved entry from the whole path");
}

/* ------------------------------------- D6: unreadable is an error, not damage */

/* Runs in a child without root's permission override (or as the user). */
static int unreadable_case(const char *db)
{
    int fails = 0;
    static char dir[400];
    snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(db, '/') - db), db);
    import_dir = dir;
    use_db(db);
    import_entry(128);
    clnn_status st = clnn_tune_db_save();
    const char *msg = clnn_last_error(NULL);
    if (st != CLNN_ERR_IO || !strstr(msg, "Permission denied")) {
        fprintf(stderr, "FAIL: save over an unreadable database returned %s: %s\n", clnn_status_string(st), msg);
        fails++;
    }
    return fails;
}

static void unreadable_database(void)
{
    char sub[400], db[500];
    at(sub, sizeof sub, "perm");
    REQUIRE(mkdir(sub, 0777) == 0 && chmod(sub, 0777) == 0 && chmod(root, 0755) == 0, "perm dir");
    snprintf(db, sizeof db, "%s/tuning.json", sub);
    write_text(db, HEADER ENTRY(FAKE, "tensor.copy", 1024, 64) "]}");
    char *before = strdup(read_text(db));
    int fails = 0;
    if (geteuid() == 0) {
        /* root reads every file: the case runs in a child as nobody, the
         * file root's and mode 0600, the directory writable by all (so the
         * old code could rename it away) */
        REQUIRE(chmod(db, 0600) == 0, "chmod");
        pid_t p = fork();
        REQUIRE(p >= 0, "fork");
        if (p == 0) {
            if (setgid(65534) != 0 || setuid(65534) != 0) _exit(77);
            _exit(unreadable_case(db));
        }
        int status = 0;
        waitpid(p, &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
            test_skip("unreadable database: cannot drop root privileges here");
            free(before);
            return;
        }
        fails = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    } else {
        REQUIRE(chmod(db, 0000) == 0, "chmod");
        fails = unreadable_case(db);
        import_dir = root;
    }
    chmod(db, 0644);
    CHECK(fails == 0, "an unreadable database is an error (%d failures in the case)", fails);
    CHECK(strcmp(read_text(db), before) == 0, "the unreadable database keeps its bytes");
    CHECK(count_names(sub, ".rejected") == 0 && count_names(sub, ".tmp.") == 0, "nothing renamed aside or left");
    unlink(db);
    free(before);
}

/* ------------------------------------------- D6: every rejected copy kept */

static void rejected_copies(void)
{
    char db[400], first[500], second[500];
    at(db, sizeof db, "twice.json");
    snprintf(first, sizeof first, "%s.rejected", db);
    snprintf(second, sizeof second, "%s.rejected.2", db);
    const char *bad[2] = {"first corrupt file {", "second corrupt file ["};
    for (int i = 0; i < 2; i++) {
        write_text(db, bad[i]);
        use_db(db);
        import_entry(256);
        CHECK(clnn_tune_db_save() == CLNN_OK, "save over corrupt file %d: %s", i, clnn_last_error(NULL));
    }
    const char *a = read_text(first);
    CHECK(a && strcmp(a, bad[0]) == 0, "the first rejected file is kept as %s", first);
    const char *b = read_text(second);
    CHECK(b && strcmp(b, bad[1]) == 0, "the second is kept under its own name %s", second);
    use_db(db);
    CHECK(has_entry(256), "the database is valid again");
}

/* ------------------------------------------- D7: a failed save changes nothing */

static void full_disk(void)
{
    char db[400];
    at(db, sizeof db, "full.json");
    const char *corrupt = "{\"format\": \"clnn-tuning\", \"version\": 1, \"entries\": [ cut here";
    write_text(db, corrupt);
    use_db(db);
    for (unsigned b = 0; b < 31; b++) import_entry(1u << b); /* about 8 KB of JSON */
    struct rlimit old;
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0, "getrlimit");
    struct rlimit lim = {2048, old.rlim_max};
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    REQUIRE(setrlimit(RLIMIT_FSIZE, &lim) == 0, "setrlimit");
    clnn_status st = clnn_tune_db_save();
    REQUIRE(setrlimit(RLIMIT_FSIZE, &old) == 0, "restore the file-size limit");
    signal(SIGXFSZ, prev);
    CHECK(st == CLNN_ERR_IO, "a save that runs out of space fails: %s", clnn_status_string(st));
    const char *now = read_text(db);
    CHECK(now && strcmp(now, corrupt) == 0, "the user's file keeps its place and bytes");
    CHECK(count_names(root, "full.json.rejected") == 0, "nothing renamed aside before the new file was complete");
    CHECK(count_names(root, ".tmp.") == 0, "no temp file left");
    /* with room again the same save goes through */
    CHECK(clnn_tune_db_save() == CLNN_OK, "the save succeeds with room: %s", clnn_last_error(NULL));
    CHECK(count_names(root, "full.json.rejected") == 1, "and keeps the corrupt file aside");
}

/* --------------------------------------------------------------- the lock */

/* A child that holds <db>.lock (flock, as clnn does) with `holder` recorded
 * in it as clnn records it ("pid host"); it waits until killed. */
static pid_t hold_lock(const char *db, pid_t holder)
{
    char lock[500];
    snprintf(lock, sizeof lock, "%s.lock", db);
    int ready[2];
    REQUIRE(pipe(ready) == 0, "pipe");
    pid_t p = fork();
    REQUIRE(p >= 0, "fork");
    if (p == 0) {
        int fd = open(lock, O_RDWR | O_CREAT, 0644);
        if (fd < 0 || flock(fd, LOCK_EX) != 0) _exit(1);
        char host[256] = "", text[400];
        gethostname(host, sizeof host - 1);
        int n = snprintf(text, sizeof text, "%ld %s\n", (long)(holder ? holder : getpid()), host);
        if (ftruncate(fd, 0) != 0 || write(fd, text, (size_t)n) != n) _exit(1);
        if (write(ready[1], "x", 1) != 1) _exit(1);
        for (;;) pause();
    }
    lock_holder = p;
    char c;
    close(ready[1]);
    REQUIRE(read(ready[0], &c, 1) == 1, "the lock holder is ready");
    close(ready[0]);
    return p;
}

static void lock_waits(void)
{
    char db[400];
    at(db, sizeof db, "locked.json");
    use_db(db);
    import_entry(512);
    setenv("CLNN_TUNE_DB_LOCK_TIMEOUT", "0.3", 1);
    pid_t holder = hold_lock(db, 0);
    kill(holder, SIGSTOP); /* stopped while holding the lock */
    char pid_text[32];
    snprintf(pid_text, sizeof pid_text, "process %ld", (long)holder);
    alarm(20);
    expect_save_refused("a stopped lock holder", pid_text);
    char src[400];
    at(src, sizeof src, "import-src.json");
    const char *srcs[1] = {src};
    CHECK(clnn_tune_db_merge(db, srcs, 1, NULL) == CLNN_ERR_IO && strstr(clnn_last_error(NULL), pid_text),
          "merge waits a bounded time too: %s", clnn_last_error(NULL));
    alarm(0);
    CHECK(!file_exists(db), "nothing written while the lock was held");
    kill(holder, SIGKILL);
    waitpid(holder, NULL, 0);
    lock_holder = 0;
    CHECK(clnn_tune_db_save() == CLNN_OK, "the holder gone, the save goes through: %s", clnn_last_error(NULL));

    /* a lock still held though its recorded holder is gone (a child that
     * inherited the holder's descriptor lives on): taken over */
    char other[400];
    at(other, sizeof other, "stale-lock.json");
    use_db(other);
    import_entry(512);
    pid_t keeper = hold_lock(other, dead_pid());
    alarm(20);
    CHECK(clnn_tune_db_save() == CLNN_OK, "a stale lock is taken over: %s", clnn_last_error(NULL));
    alarm(0);
    clnn_tune_db_stats st;
    CHECK(clnn_tune_db_stats_get(&st) == CLNN_OK && strstr(st.last_warning, "stale"),
          "the takeover is reported: '%s'", st.last_warning);
    kill(keeper, SIGKILL);
    waitpid(keeper, NULL, 0);
    lock_holder = 0;
    use_db(other);
    CHECK(has_entry(512), "the entry was saved");
    unsetenv("CLNN_TUNE_DB_LOCK_TIMEOUT");
}

/* ------------------------------------------- temp files of dead writers */

static void make_temp(const char *path, time_t age)
{
    write_text(path, "half a database");
    struct timespec t[2];
    clock_gettime(CLOCK_REALTIME, &t[0]);
    t[0].tv_sec -= age;
    t[1] = t[0];
    REQUIRE(utimensat(AT_FDCWD, path, t, 0) == 0, "utimensat");
}

static void stale_temp_files(void)
{
    char sub[400], db[500], old_dead[600], fresh_dead[600], legacy[600], live[600], other[600];
    at(sub, sizeof sub, "temps");
    REQUIRE(mkdir(sub, 0755) == 0, "mkdir");
    snprintf(db, sizeof db, "%s/tuning.json", sub);
    pid_t dead = dead_pid();
    snprintf(old_dead, sizeof old_dead, "%s.tmp.%ld.a1b2c3", db, (long)dead);
    snprintf(legacy, sizeof legacy, "%s.tmp.%ld", db, (long)dead); /* the old writers' name */
    snprintf(fresh_dead, sizeof fresh_dead, "%s.tmp.%ld.d4e5f6", db, (long)dead);
    snprintf(live, sizeof live, "%s.tmp.%ld.g7h8i9", db, (long)getpid());
    snprintf(other, sizeof other, "%s/other.json.tmp.%ld.j0k1l2", sub, (long)dead);
    make_temp(old_dead, 3600);
    make_temp(legacy, 3600);
    make_temp(fresh_dead, 0);  /* may belong to a writer in another pid namespace: kept for now */
    make_temp(live, 3600);     /* its writer (this process) lives */
    make_temp(other, 3600);    /* another file's */
    use_db(db);
    import_entry(1024);
    CHECK(clnn_tune_db_save() == CLNN_OK, "save: %s", clnn_last_error(NULL));
    CHECK(!file_exists(old_dead) && !file_exists(legacy), "a dead writer's old temp files are removed");
    CHECK(file_exists(fresh_dead) && file_exists(live) && file_exists(other),
          "a fresh one, a live writer's and another file's are kept");
}

/* ------------------------------------------- more than 256 system files */

static void many_system_files(void)
{
    char sys[400];
    at(sys, sizeof sys, "system-many");
    REQUIRE(mkdir(sys, 0755) == 0, "mkdir");
    enum { FILES = 300 };
    for (int i = 0; i < FILES; i++) {
        char path[500], text[600];
        snprintf(path, sizeof path, "%s/part-%03d.json", sys, i);
        snprintf(text, sizeof text,
                 HEADER "{\"device\":\"default|Vendor%d|gpu\",\"kernel\":\"tensor.copy\",\"bucket\":[1024,1],"
                        "\"local\":[64],\"tuned_at\":1}]}",
                 i);
        write_text(path, text);
    }
    char db[400];
    at(db, sizeof db, "with-many-system.json");
    setenv("CLNN_TUNE_SYSTEM_DIR", sys, 1);
    use_db(db);
    clnn_tune_db_stats st;
    CHECK(clnn_tune_db_stats_get(&st) == CLNN_OK && st.system_entries == FILES && st.files_loaded == FILES,
          "every system file is read: %zu entries from %u files", st.system_entries, st.files_loaded);
    char empty[400];
    at(empty, sizeof empty, "system-empty");
    REQUIRE(mkdir(empty, 0755) == 0, "mkdir");
    setenv("CLNN_TUNE_SYSTEM_DIR", empty, 1);
}

/* ---------------------------------------------------- fields out of range */

static void fields_out_of_range(void)
{
    static const char *const bad[] = {
        "{\"device\":\"" FAKE "\",\"kernel\":\"tensor.scale\",\"bucket\":[64,1],\"local\":[8],\"tuned_at\":1e300}",
        "{\"device\":\"" FAKE "\",\"kernel\":\"tensor.scale\",\"bucket\":[64,1],\"local\":[8],\"tuned_at\":-5}",
        "{\"device\":\"" FAKE "\",\"kernel\":\"tensor.scale\",\"bucket\":{\"a\":64,\"b\":1},\"local\":[8]}",
        "{\"device\":\"" FAKE "\",\"kernel\":\"tensor.scale\",\"bucket\":[64,1],\"local\":{\"x\":8}}",
        "{\"device\":\"" FAKE "\",\"kernel\":\"tensor.scale\",\"bucket\":[64,1],\"local\":[8],"
        "\"params\":{\"WPT\":1e300}}",
        "{\"device\":\"" FAKE "\",\"kernel\":\"tensor.scale\",\"bucket\":[64,1],\"local\":[8],\"seconds\":1e999}",
    };
    char db[400];
    at(db, sizeof db, "fields.json");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[1200];
        snprintf(text, sizeof text, HEADER "%s," ENTRY(FAKE, "tensor.copy", 1024, 64) "]}", bad[i]);
        write_text(db, text);
        use_db(db);
        clnn_tune_db_stats st;
        CHECK(clnn_tune_db_stats_get(&st) == CLNN_OK && st.entries_rejected == 1 && st.user_entries == 1,
              "entry %zu is refused, the valid one kept: %u rejected, %zu kept (%s)", i, st.entries_rejected,
              st.user_entries, bad[i]);
    }
}

int main(void)
{
    signal(SIGALRM, on_alarm);
    snprintf(root, sizeof root, "/tmp/clnn-test-tune-files-XXXXXX");
    REQUIRE(mkdtemp(root), "mkdtemp");
    char sys[400];
    at(sys, sizeof sys, "system");
    REQUIRE(mkdir(sys, 0755) == 0, "mkdir");
    setenv("CLNN_TUNE_SYSTEM_DIR", sys, 1);

    fields_out_of_range();
    many_system_files();
    rejected_copies();
    full_disk();
    planted_temp_links();
    symlinked_databases();
    long_path();
    unreadable_database();
    stale_temp_files();
    not_regular_files();
    lock_waits();

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (check_failed == 0 && system(cmd) != 0) fprintf(stderr, "could not remove %s\n", root);
    return check_summary();
}
