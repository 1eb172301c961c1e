/* The lock file that serialises writers of one file (the tuning database's
 * "<db>.lock"): flock, so the kernel drops it when its holder dies; waited
 * for a bounded time, with the holder ("<pid> <host>", written by each
 * holder) named in the error. A lock still held when its recorded holder is
 * gone (a descriptor inherited by a child lives on) is stale: the lock file
 * is replaced, once, at the end of the wait. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct lock_holder {
    long pid; /* 0: not recorded */
    char host[256];
} lock_holder;

static void holder_read(int fd, lock_holder *h)
{
    char text[300];
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    h->pid = 0;
    h->host[0] = '\0';
    if (n <= 0) return;
    text[n] = '\0';
    if (sscanf(text, "%ld %255s", &h->pid, h->host) < 1 || h->pid <= 0) h->pid = 0;
}

static void holder_write(int fd, const struct stat *st)
{
    if (st->st_nlink != 1) return; /* a hard link planted to another file: lock, but write nothing */
    char host[256] = "", text[300];
    if (gethostname(host, sizeof host - 1) != 0 || !host[0]) snprintf(host, sizeof host, "?");
    int n = snprintf(text, sizeof text, "%ld %s\n", (long)getpid(), host);
    if (ftruncate(fd, 0) == 0 && pwrite(fd, text, (size_t)n, 0) != n) { /* only for messages: not fatal */ }
}

/* The recorded holder is gone: same host, and its pid does not exist. */
static int holder_gone(const lock_holder *h)
{
    char host[256] = "";
    if (!h->pid || gethostname(host, sizeof host - 1) != 0 || strcmp(host, h->host) != 0) return 0;
    return kill((pid_t)h->pid, 0) != 0 && errno == ESRCH;
}

static void sleep_ms(double ms)
{
    double s = ms / 1000;
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

int clnn__lock_acquire(const char *lock_path, double timeout_s, char *why, size_t whylen, int *took_over)
{
    *took_over = 0;
    double deadline = clnn__now_seconds() + timeout_s, pause_ms = 1;
    for (;;) {
        /* O_NOFOLLOW: a link planted at the lock's name must not lead the pid write elsewhere */
        int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
        if (fd < 0) {
            snprintf(why, whylen, "cannot open %s: %s", lock_path, errno == ELOOP ? "a symbolic link" : strerror(errno));
            return -1;
        }
        struct stat st, now_st;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            snprintf(why, whylen, "%s is %s, not a regular file", lock_path, clnn__file_kind(st.st_mode));
            close(fd);
            return -1;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            /* the file may have been replaced (a stale lock taken over) while we waited */
            if (stat(lock_path, &now_st) != 0 || now_st.st_ino != st.st_ino || now_st.st_dev != st.st_dev) {
                close(fd);
                continue;
            }
            holder_write(fd, &st);
            return fd;
        }
        if (errno != EWOULDBLOCK && errno != EINTR) {
            snprintf(why, whylen, "cannot lock %s: %s", lock_path, strerror(errno));
            close(fd);
            return -1;
        }
        double left = deadline - clnn__now_seconds();
        if (left > 0) {
            close(fd);
            sleep_ms(pause_ms < 1000 * left ? pause_ms : 1000 * left);
            pause_ms = pause_ms * 2 < 50 ? pause_ms * 2 : 50;
            continue;
        }
        lock_holder h;
        holder_read(fd, &h);
        if (!*took_over && holder_gone(&h)) {
            /* stale: replace the lock file (only if it is still the one held) and try again */
            struct stat cur;
            if (lstat(lock_path, &cur) == 0 && cur.st_ino == st.st_ino && cur.st_dev == st.st_dev) unlink(lock_path);
            close(fd);
            *took_over = 1;
            deadline = clnn__now_seconds() + timeout_s;
            continue;
        }
        close(fd);
        if (h.pid)
            snprintf(why, whylen,
                     "%s is held by process %ld on %s%s; gave up after %g s (CLNN_TUNE_DB_LOCK_TIMEOUT sets the wait)",
                     lock_path, h.pid, h.host, holder_gone(&h) ? ", which no longer exists" : "", timeout_s);
        else
            snprintf(why, whylen, "%s is held by another process; gave up after %g s (CLNN_TUNE_DB_LOCK_TIMEOUT sets the wait)",
                     lock_path, timeout_s);
        return -1;
    }
}

void clnn__lock_release(int fd)
{
    if (fd < 0) return;
    /* no holder recorded once released: a waiter must not take the last
     * holder's pid for the next one's (and a planted hard link is left alone) */
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 && ftruncate(fd, 0) != 0) {}
    flock(fd, LOCK_UN);
    close(fd);
}
