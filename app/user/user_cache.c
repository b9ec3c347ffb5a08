/*
 * user_cache.c: the workers' cache of recently validated sessions, the
 * one thing that lets a route keep its logged-in users while Redis (where
 * the sessions live) is unreachable.
 *
 * Why it exists: chat must be accepted while Redis is down (MESSAGES.md
 * §6: spooled, answered success, appended once when Redis returns), but
 * the token -> user lookup needs Redis, so without this the login check
 * answers 503 before the chat handler runs.
 *
 * What it is: a fixed table of USER_CACHE_SLOTS slots in a file every
 * worker maps MAP_SHARED (session_cache_file), so a session validated by
 * any worker is known to all of them, and a logout seen by any worker
 * clears it for all. One slot per token (direct-mapped on the token's
 * first hex digits, which are random); a colliding token simply evicts.
 * Each successful Redis lookup (user_auth_recv) writes the token, the
 * user and the time; a lookup that finds no session, a logout and a
 * revoke clear it. Filling costs no syscall and no allocation: a few
 * compares, and a copy of at most ~450 bytes at most once a second per
 * session (a fresh identical slot is left alone).
 *
 * Who reads it: only the dispatcher, only for routes flagged
 * ROUTE_REDIS_OPTIONAL, and only after the Redis lookup failed with
 * RES_DEP_DOWN. An entry is good for USER_CACHE_TTL_MS after Redis last
 * confirmed it; the lookup that filled it also slid the session's TTL to
 * TTL_LOGIN_TOKEN (much longer), so an entry never outlives its session
 * as Redis knew it. What the cache cannot see: a logout or revoke that
 * did not run (Redis down: those routes answer 503) or a session deleted
 * in Redis by other means within the last USER_CACHE_TTL_MS before the
 * outage. README "Sessions while Redis is down" says so.
 *
 * Concurrency: each slot is a seqlock. A writer takes the slot by moving
 * its sequence from even to odd with a compare-and-swap (a slot being
 * written by someone else is skipped: it is a cache), writes, and makes
 * it even again. A reader copies the slot and accepts the copy only when
 * the sequence was even and unchanged around the copy. A worker killed
 * mid-write leaves its slot odd, i.e. unused, until the file is made
 * anew (a new stack); one slot of thousands.
 */
#include "user_private.h"

#include "../core/cfg.h"
#include "../core/log.h"
#include "../core/util.h"
#include "../store/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define USER_CACHE_SLOTS  4096 /* a power of two */
#define USER_CACHE_TTL_MS 60000
/* a confirmed slot younger than this is not written again */
#define USER_CACHE_REFRESH_MS 1000
#define USER_CACHE_MAGIC      0x68636331u /* "hcc1": the layout below */

_Static_assert(USER_CACHE_TTL_MS <= TTL_LOGIN_TOKEN * 1000,
               "a cached session must not outlive the session");

struct user_cache_slot {
    _Atomic uint32_t seq; /* odd while being written */
    uint32_t pad;
    int64_t uid;   /* 0: empty or cleared */
    int64_t at_ms; /* wall-clock ms when Redis last confirmed it */
    char token[32];
    char nick[132]; /* nick_name is varchar(32) utf8mb4, + NUL */
    char icon[260]; /* an icon that does not fit is not cached */
};

struct user_cache_file {
    uint32_t magic, nslots;
    struct user_cache_slot slot[USER_CACHE_SLOTS];
};

static struct user_cache_file *user_cache; /* NULL: not mapped */
static int user_cache_state;               /* 0 untried, 1 mapped, -1 no */

/* Maps the file once per process (creating it, all zero, if missing). A
 * file of another layout is left alone and the cache is off. */
static struct user_cache_file *
user_cache_map(void)
{
    if (user_cache_state != 0)
        return user_cache;
    user_cache_state = -1;
    const char *path = g_cfg.session_cache_file;
    if (path == NULL || *path == '\0')
        return NULL;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_warn("session cache %s: open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    size_t size = sizeof(struct user_cache_file);
    /* growing a file is safe to race: every worker grows it to the same
     * size, and the new bytes read as zero */
    if (fstat(fd, &st) != 0 ||
        ((size_t)st.st_size < size && ftruncate(fd, (off_t)size) != 0)) {
        log_warn("session cache %s: size: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        log_warn("session cache %s: mmap: %s", path, strerror(errno));
        return NULL;
    }
    struct user_cache_file *f = p;
    /* a new file is all zero: the first worker stamps it (the same
     * values, should two do so at once) */
    if (f->magic == 0 && f->nslots == 0) {
        f->nslots = USER_CACHE_SLOTS;
        f->magic = USER_CACHE_MAGIC;
    }
    if (f->magic != USER_CACHE_MAGIC || f->nslots != USER_CACHE_SLOTS) {
        log_warn("session cache %s: another layout; cache off", path);
        munmap(p, size);
        return NULL;
    }
    user_cache_state = 1;
    user_cache = f;
    return f;
}

/* The slot of a well-formed token (32 lowercase hex, random). */
static struct user_cache_slot *
user_cache_slot_of(struct user_cache_file *f, const char *token)
{
    uint32_t h = 0;
    for (int i = 0; i < 8; i++) {
        char c = token[i];
        h = (h << 4) | (uint32_t)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    return &f->slot[h & (USER_CACHE_SLOTS - 1)];
}

/* Takes the slot for writing: 1 with its sequence made odd, 0 when
 * someone else holds it. *was is the even sequence it had. */
static int
user_cache_lock(struct user_cache_slot *s, uint32_t *was)
{
    uint32_t v = atomic_load_explicit(&s->seq, memory_order_relaxed);
    if (v & 1)
        return 0;
    if (!atomic_compare_exchange_strong_explicit(
            &s->seq, &v, v + 1, memory_order_acquire, memory_order_relaxed))
        return 0;
    *was = v;
    return 1;
}

static void
user_cache_unlock(struct user_cache_slot *s, uint32_t was)
{
    atomic_store_explicit(&s->seq, was + 2, memory_order_release);
}

void
user_cache_fill(const char *token, int64_t uid, const char *nick,
                const char *icon)
{
    struct user_cache_file *f = user_cache_map();
    if (f == NULL || !user_token_shape_ok(token))
        return;
    size_t nn = strlen(nick), in = strlen(icon);
    struct user_cache_slot *s = user_cache_slot_of(f, token);
    int64_t now = util_now_ms();
    if (nn >= sizeof(s->nick) || in >= sizeof(s->icon)) {
        user_cache_forget(token); /* cannot hold it: hold nothing stale */
        return;
    }
    /* the common case, a user's next request: the slot says the same
     * and was confirmed a moment ago. A torn read here only costs a
     * write. */
    if (s->uid == uid && now - s->at_ms >= 0 &&
        now - s->at_ms < USER_CACHE_REFRESH_MS &&
        memcmp(s->token, token, 32) == 0 &&
        strncmp(s->nick, nick, sizeof(s->nick)) == 0 &&
        strncmp(s->icon, icon, sizeof(s->icon)) == 0)
        return;
    uint32_t was;
    if (!user_cache_lock(s, &was))
        return;
    s->uid = uid;
    s->at_ms = now;
    memcpy(s->token, token, 32);
    memcpy(s->nick, nick, nn + 1);
    memcpy(s->icon, icon, in + 1);
    user_cache_unlock(s, was);
}

void
user_cache_forget(const char *token)
{
    struct user_cache_file *f = user_cache_map();
    if (f == NULL || !user_token_shape_ok(token))
        return;
    struct user_cache_slot *s = user_cache_slot_of(f, token);
    if (s->uid == 0 || memcmp(s->token, token, 32) != 0)
        return;
    uint32_t was;
    /* a slot someone is writing right now is theirs: they write what
     * Redis just confirmed */
    if (!user_cache_lock(s, &was))
        return;
    if (memcmp(s->token, token, 32) == 0)
        s->uid = 0;
    user_cache_unlock(s, was);
}

void
user_cache_forget_user(int64_t uid, const char *keep)
{
    struct user_cache_file *f = user_cache_map();
    if (f == NULL)
        return;
    /* rare (a password change, logout everywhere): a scan of the table */
    for (unsigned i = 0; i < USER_CACHE_SLOTS; i++) {
        struct user_cache_slot *s = &f->slot[i];
        if (s->uid != uid)
            continue;
        uint32_t was;
        if (!user_cache_lock(s, &was))
            continue;
        if (s->uid == uid && (keep == NULL || strncmp(s->token, keep, 32) != 0))
            s->uid = 0;
        user_cache_unlock(s, was);
    }
}

int
user_cache_find(struct req *rq)
{
    struct user_cache_file *f = user_cache_map();
    if (f == NULL || rq->token == NULL || !user_token_shape_ok(rq->token))
        return 0;
    struct user_cache_slot *s = user_cache_slot_of(f, rq->token);
    struct user_cache_slot c;
    uint32_t v = atomic_load_explicit(&s->seq, memory_order_acquire);
    if (v & 1)
        return 0;
    memcpy(&c.uid, &s->uid, sizeof(c) - offsetof(struct user_cache_slot, uid));
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&s->seq, memory_order_relaxed) != v)
        return 0; /* written meanwhile */
    /* wall-clock time, shared by the processes and meaningful across a
     * reboot (the file outlives it); an age below 0 (the clock went
     * back) is not trusted either */
    int64_t age = util_now_ms() - c.at_ms;
    if (c.uid <= 0 || memcmp(c.token, rq->token, 32) != 0 || age < 0 ||
        age > USER_CACHE_TTL_MS)
        return 0;
    c.nick[sizeof(c.nick) - 1] = '\0';
    c.icon[sizeof(c.icon) - 1] = '\0';
    rq->has_user = 1;
    rq->user.id = c.uid;
    rq->user.nick_name = arena_strdup(rq->cx.arena, c.nick);
    rq->user.icon = arena_strdup(rq->cx.arena, c.icon);
    return 1;
}

res_t
user_authenticate_cached(struct req *rq)
{
    if (!user_cache_find(rq))
        return RES_DEP_DOWN; /* the failed lookup already described it */
    log_warn("session of user %lld from the session cache (Redis down)",
             (long long)rq->user.id);
    return RES_OK;
}
