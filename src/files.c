/* Files clnn reads and writes for its user (tuning database, binary cache,
 * kernel overrides, program dumps). Nothing here may block on a FIFO or a
 * device, follow a link it should not, or leave a half-written file where
 * the user's was:
 *   - reading: lstat/stat first (a device or FIFO is never opened), open with
 *     O_NONBLOCK (and O_NOFOLLOW where a link is foreign), fstat for the same
 *     regular file, read to the end under a size cap;
 *   - writing: a temp file "<path>.tmp.<pid>.XXXXXX" made by mkstemp
 *     (O_CREAT|O_EXCL: a planted file or link is never opened) in the
 *     target's directory, written in full, then renamed over the target;
 *   - links: a path reached through the user's own symlinks resolves to the
 *     final target; a foreign, dangling or looping link is refused;
 *   - temp files whose writer died are removed. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A temp file of a dead writer is removed once this old: a writer in another
 * pid namespace (whose pid means nothing here) finishes long before. */
#define STALE_TEMP_SECONDS 600
#define MAX_LINK_HOPS 16

const char *clnn__file_kind(mode_t mode)
{
    if (S_ISREG(mode)) return "a regular file";
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISLNK(mode)) return "a symbolic link";
    return "a special file";
}

static void not_regular(char *why, size_t whylen, mode_t mode)
{
    snprintf(why, whylen, "%s, not a regular file", clnn__file_kind(mode));
}

int clnn__read_regular(const char *path, int nofollow, size_t max, char **data, size_t *len, char *why,
                       size_t whylen)
{
    *data = NULL;
    *len = 0;
    struct stat before, st;
    if ((nofollow ? lstat(path, &before) : stat(path, &before)) != 0) {
        if (errno == ENOENT) return CLNN__READ_MISSING;
        snprintf(why, whylen, "unreadable (%s)", strerror(errno));
        return CLNN__READ_FAILED;
    }
    if (!S_ISREG(before.st_mode)) { /* never opened: opening a device can do things */
        not_regular(why, whylen, before.st_mode);
        return CLNN__READ_FAILED;
    }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
    if (fd < 0) {
        if (errno == ENOENT) return CLNN__READ_MISSING;
        snprintf(why, whylen, "unreadable (%s)", strerror(errno));
        return CLNN__READ_FAILED;
    }
    /* the same regular file as checked above, not one swapped in since */
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_ino != before.st_ino || st.st_dev != before.st_dev) {
        snprintf(why, whylen, "changed while being opened");
        close(fd);
        return CLNN__READ_FAILED;
    }
    if ((unsigned long long)st.st_size > max) {
        snprintf(why, whylen, "larger than %zu bytes", max);
        close(fd);
        return CLNN__READ_TOO_LARGE;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap);
    int rc = buf ? CLNN__READ_OK : CLNN__READ_FAILED;
    if (!buf) snprintf(why, whylen, "unreadable (out of host memory)");
    while (rc == CLNN__READ_OK) { /* to the end: the file may have grown since fstat */
        if (n == cap) {
            char *more = n > max ? NULL : realloc(buf, cap = cap > max / 2 ? max + 1 : 2 * cap);
            if (!more) {
                rc = n > max ? CLNN__READ_TOO_LARGE : CLNN__READ_FAILED;
                snprintf(why, whylen, n > max ? "larger than %zu bytes" : "unreadable (out of host memory)", max);
                break;
            }
            buf = more;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            snprintf(why, whylen, "unreadable (%s)", strerror(errno));
            rc = CLNN__READ_FAILED;
        }
        if (got <= 0) break;
        n += (size_t)got;
    }
    close(fd);
    if (rc == CLNN__READ_OK && n == cap) { /* room for the terminating NUL */
        char *more = realloc(buf, cap + 1);
        if (!more) {
            snprintf(why, whylen, "unreadable (out of host memory)");
            rc = CLNN__READ_FAILED;
        } else {
            buf = more;
        }
    }
    if (rc != CLNN__READ_OK) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return CLNN__READ_OK;
}

/* "<dir of base>/<link>" for a relative link target; a copy of link otherwise. */
static char *link_join(const char *base, const char *link)
{
    const char *slash = strrchr(base, '/');
    size_t dir_len = link[0] == '/' || !slash ? 0 : (size_t)(slash - base) + 1;
    char *out = malloc(dir_len + strlen(link) + 1);
    if (out) {
        memcpy(out, base, dir_len);
        strcpy(out + dir_len, link);
    }
    return out;
}

/* The target of the link at path (st: its lstat), malloc'ed; NULL with errno. */
static char *read_link(const char *path, const struct stat *st)
{
    size_t cap = st->st_size > 0 ? (size_t)st->st_size + 1 : 256;
    for (;;) {
        char *buf = malloc(cap);
        if (!buf) return NULL;
        ssize_t n = readlink(path, buf, cap);
        if (n < 0) {
            free(buf);
            return NULL;
        }
        if ((size_t)n < cap) {
            buf[n] = '\0';
            return buf;
        }
        free(buf); /* grew since lstat */
        cap *= 2;
    }
}

int clnn__resolve_target(const char *path, char **target, char *why, size_t whylen)
{
    *target = NULL;
    char *cur = strdup(path);
    if (!cur) {
        snprintf(why, whylen, "out of host memory");
        return -1;
    }
    for (int hops = 0;; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0) {
            if (errno == ENOENT && hops == 0) break; /* a new file */
            if (errno == ENOENT) snprintf(why, whylen, "a symbolic link to %s, which does not exist", cur);
            else snprintf(why, whylen, "not usable (%s%s%s)", hops ? cur : "", hops ? ": " : "", strerror(errno));
            free(cur);
            return -1;
        }
        if (S_ISREG(st.st_mode)) break;
        if (!S_ISLNK(st.st_mode)) {
            if (hops) snprintf(why, whylen, "a symbolic link to %s, which is %s, not a regular file", cur,
                               clnn__file_kind(st.st_mode));
            else not_regular(why, whylen, st.st_mode);
            free(cur);
            return -1;
        }
        /* a link is followed only when its owner is this user (or root): one
         * planted in a shared directory by someone else is not */
        if (st.st_uid != geteuid() && st.st_uid != 0) {
            snprintf(why, whylen, "a symbolic link owned by user %ld, not by this user (%ld); not followed",
                     (long)st.st_uid, (long)geteuid());
            free(cur);
            return -1;
        }
        char *link = hops < MAX_LINK_HOPS ? read_link(cur, &st) : NULL;
        char *next = link ? link_join(cur, link) : NULL;
        if (!next) {
            snprintf(why, whylen, "a symbolic link that cannot be followed (%s)",
                     hops < MAX_LINK_HOPS ? strerror(errno) : "too many levels of symbolic links");
            free(link);
            free(cur);
            return -1;
        }
        free(link);
        free(cur);
        cur = next;
    }
    *target = cur;
    return 0;
}

char *clnn__atomic_prepare(const char *path, const clnn__chunk *chunks, size_t nchunks, int durable)
{
    size_t len = strlen(path) + 48;
    char *tmp = malloc(len);
    if (!tmp) return NULL;
    /* the pid lets clnn__remove_stale_temps tell a dead writer's file */
    snprintf(tmp, len, "%s.tmp.%ld.XXXXXX", path, (long)getpid());
    int fd = mkstemp(tmp);
    if (fd < 0) {
        free(tmp);
        return NULL;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    struct stat st;
    mode_t mode = stat(path, &st) == 0 && S_ISREG(st.st_mode) ? st.st_mode & 0777 : 0644; /* the user's choice stays */
    int ok = fchmod(fd, mode) == 0;
    for (size_t c = 0; ok && c < nchunks; c++) {
        const char *p = chunks[c].data;
        size_t left = chunks[c].size;
        while (ok && left > 0) {
            ssize_t n = write(fd, p, left);
            if (n < 0 && errno == EINTR) continue;
            ok = n > 0;
            if (ok) {
                p += n;
                left -= (size_t)n;
            }
        }
    }
    if (ok && durable) ok = fsync(fd) == 0;
    int saved = errno;
    ok = close(fd) == 0 && ok;
    if (!ok) {
        unlink(tmp);
        free(tmp);
        errno = saved ? saved : EIO;
        return NULL;
    }
    return tmp;
}

int clnn__atomic_commit(char *tmp, const char *path)
{
    struct stat st;
    int ok = 1;
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) { /* never replace a link, device or directory */
        ok = 0;
        errno = EEXIST;
    }
    ok = ok && rename(tmp, path) == 0;
    if (!ok) clnn__atomic_abort(tmp);
    else free(tmp);
    return ok ? 0 : -1;
}

void clnn__atomic_abort(char *tmp)
{
    int saved = errno;
    unlink(tmp);
    free(tmp);
    errno = saved;
}

int clnn__write_file_atomic(const char *path, const void *data, size_t size)
{
    clnn__chunk chunk = {data, size};
    char *tmp = clnn__atomic_prepare(path, &chunk, 1, 0);
    return tmp ? clnn__atomic_commit(tmp, path) : -1;
}

/* The writer's pid in "<x>.tmp.<pid>" or "<x>.tmp.<pid>.<any>" when x ends with suffix; 0 otherwise. */
static long temp_writer(const char *name, const char *suffix)
{
    size_t slen = strlen(suffix);
    for (const char *t = strstr(name, ".tmp."); t; t = strstr(t + 1, ".tmp.")) {
        if ((size_t)(t - name) < slen || strncmp(t - slen, suffix, slen) != 0) continue;
        char *end;
        errno = 0;
        long pid = strtol(t + 5, &end, 10);
        if (end != t + 5 && !errno && pid > 0 && (*end == '\0' || *end == '.') && t[5] >= '0' && t[5] <= '9')
            return pid;
    }
    return 0;
}

void clnn__remove_stale_temps(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    if (!d) return;
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d))) {
        long pid = temp_writer(e->d_name, suffix);
        if (!pid || (kill((pid_t)pid, 0) != 0 ? errno != ESRCH : 1)) continue; /* none, or its writer lives */
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        if (!path) break;
        snprintf(path, len, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime >= STALE_TEMP_SECONDS) unlink(path);
        free(path);
    }
    closedir(d);
}

char *clnn__dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    size_t len = slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(len + 1);
    if (dir) {
        memcpy(dir, path, len);
        dir[len] = '\0';
    }
    return dir;
}
