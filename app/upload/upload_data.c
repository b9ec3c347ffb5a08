/*
 * upload_data.c: the file system and Redis side of uploads.
 *
 * Confinement: every file operation starts from a descriptor of the upload
 * root and walks blogs/, d1/ and d2/ with openat(O_NOFOLLOW|O_DIRECTORY),
 * then acts on the last component with *at() calls that do not follow
 * symlinks either. So whatever a name says, nothing outside
 * upload_dir/blogs/ is ever created, opened or unlinked, and a symlink
 * planted inside the tree is refused rather than followed. Names reaching
 * this file have already passed upload_name_check().
 *
 * Ownership: upload:owner:{/blogs/...} = uploader id, TTL_UPLOAD_OWNER.
 * Publishing a blog makes the record of its images permanent (upload_claim)
 * so that deleting the blog can delete them (upload_release). A record is
 * removed only after its file, so a failure in between leaves a file that
 * can still be deleted by a retry, never a file nobody may delete.
 * The durable copy is the tb_upload row (name, user_id, claimed,
 * create_time), written before the Redis record: when Redis has no record
 * (it lost its data), the row answers with the same rule -- the owner's
 * while claimed or younger than TTL_UPLOAD_OWNER -- and Redis gets the
 * record back.
 */
#include "upload_private.h"

#include "../core/cfg.h"
#include "../core/log.h"
#include "../core/util.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

/* Opens upload_dir/blogs/d1/d2, creating missing directories (0755) when
 * create is set. Returns a directory fd, or -1 with errno set. */
static int
upload_dir_open(unsigned d1, unsigned d2, int create)
{
    int fd = open(g_cfg.upload_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char c1[4], c2[4];
    snprintf(c1, sizeof(c1), "%u", d1 & 0xF);
    snprintf(c2, sizeof(c2), "%u", d2 & 0xF);
    const char *comp[3] = {"blogs", c1, c2};
    for (int i = 0; i < 3; i++) {
        if (create) {
            if (mkdirat(fd, comp[i], 0755) == 0) {
                /* the umask may be stricter; nginx must read it */
                int nd =
                    openat(fd, comp[i],
                           O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (nd >= 0) {
                    fchmod(nd, 0755);
                    close(nd);
                }
            } else if (errno != EEXIST) {
                int e = errno;
                close(fd);
                errno = e;
                return -1;
            }
        }
        int nfd = openat(fd, comp[i],
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        close(fd);
        if (nfd < 0) {
            errno = e;
            return -1;
        }
        fd = nfd;
    }
    return fd;
}

/* Splits a canonical "/blogs/d1/d2/file" into its parts. */
static void
upload_split(const char *path, unsigned *d1, unsigned *d2, const char **file)
{
    const char *p = path + strlen("/blogs/");
    *d1 = (unsigned)strtoul(p, NULL, 10);
    p = strchr(p, '/') + 1;
    *d2 = (unsigned)strtoul(p, NULL, 10);
    *file = strchr(p, '/') + 1;
}

static int
upload_write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Unlinks path's file inside the confined tree. Returns 0 (also when it
 * is already gone), 1 when the path crosses a symlink or is not a regular
 * file, -1 on another error (errno set). */
static int
upload_unlink(const char *path)
{
    unsigned d1, d2;
    const char *file;
    upload_split(path, &d1, &d2, &file);
    int dfd = upload_dir_open(d1, d2, 0);
    if (dfd < 0) {
        if (errno == ENOENT)
            return 0;
        return errno == ELOOP || errno == ENOTDIR ? 1 : -1;
    }
    struct stat st;
    int rc = 0;
    if (fstatat(dfd, file, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        rc = errno == ENOENT ? 0 : -1;
    } else if (!S_ISREG(st.st_mode)) {
        rc = 1;
    } else if (unlinkat(dfd, file, 0) != 0 && errno != ENOENT) {
        rc = -1;
    }
    int e = errno;
    close(dfd);
    errno = e;
    return rc;
}

res_t
upload_store(struct req *rq, int64_t owner, const char *data, size_t n,
             const char *ext, const char **path)
{
    const char *name = util_rand_hex(rq->cx.arena, 16);
    unsigned d1, d2;
    upload_bucket(name, &d1, &d2);
    int dfd = upload_dir_open(d1, d2, 1);
    if (dfd < 0)
        return req_fail(rq, RES_INTERNAL, "upload dir %s/blogs/%u/%u: %s",
                        g_cfg.upload_dir, d1, d2, strerror(errno));
    /* a dot file without an image extension: nginx never serves it */
    const char *tmp = arena_printf(rq->cx.arena, ".tmp-%s", name);
    const char *fin = arena_printf(rq->cx.arena, "%s.%s", name, ext);
    int fd = openat(dfd, tmp,
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        close(dfd);
        return req_fail(rq, RES_INTERNAL, "upload create: %s", strerror(e));
    }
    int bad = upload_write_all(fd, data, n) != 0 || fchmod(fd, 0644) != 0;
    int e = errno;
    if (close(fd) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (!bad && renameat(dfd, tmp, dfd, fin) != 0) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        unlinkat(dfd, tmp, 0);
        close(dfd);
        return req_fail(rq, RES_INTERNAL, "upload write: %s", strerror(e));
    }
    const char *p = arena_printf(rq->cx.arena, "/blogs/%u/%u/%s", d1, d2, fin);
    char uid[24];
    snprintf(uid, sizeof(uid), "%lld", (long long)owner);
    res_t rc = sql_exec(&rq->cx, NULL,
                        "INSERT INTO tb_upload (name, user_id) VALUES (?, ?)",
                        "sl", p, owner);
    if (rc == RES_OK && (rc = rds_cmd(&rq->cx, NULL, "SET %s %s EX %d",
                                      key_upload_owner(rq->cx.arena, p), uid,
                                      TTL_UPLOAD_OWNER)) != RES_OK) {
        struct ctx_mark m = ctx_mark(&rq->cx);
        if (sql_exec(&rq->cx, NULL, "DELETE FROM tb_upload WHERE name = ?", "s",
                     p) != RES_OK)
            ctx_drop(&rq->cx, m, "upload row removal");
    }
    if (rc != RES_OK) {
        /* nobody could delete a file without an owner record */
        unlinkat(dfd, fin, 0);
        close(dfd);
        return rc;
    }
    close(dfd);
    *path = p;
    return RES_OK;
}

/* The owner of path by its tb_upload row when Redis has no record: the
 * uploader while the upload is claimed or younger than TTL_UPLOAD_OWNER
 * (the Redis record's rule), else 0. The record is put back in Redis. */
static res_t
upload_owner_from_sql(struct req *rq, const char *path, int64_t *who)
{
    struct sql_rows t;
    *who = 0;
    res_t rc = sql_query(&rq->cx, &t,
                         "SELECT user_id, claimed, GREATEST(0, ? - "
                         "TIMESTAMPDIFF(SECOND, create_time, NOW())) FROM "
                         "tb_upload WHERE name = ?",
                         "ls", (int64_t)TTL_UPLOAD_OWNER, path);
    if (rc != RES_OK || t.nrows == 0)
        return rc;
    int claimed = sql_i64(&t, 0, 1) != 0;
    int64_t left = sql_i64(&t, 0, 2);
    if (!claimed && left <= 0)
        return RES_OK;
    *who = sql_i64(&t, 0, 0);
    const char *k = key_upload_owner(rq->cx.arena, path);
    struct ctx_mark m = ctx_mark(&rq->cx);
    if ((claimed ? rds_cmd(&rq->cx, NULL, "SET %s %lld", k, (long long)*who)
                 : rds_cmd(&rq->cx, NULL, "SET %s %lld EX %lld", k,
                           (long long)*who, (long long)left)) != RES_OK)
        ctx_drop(&rq->cx, m, "upload owner record rebuild");
    return RES_OK;
}

/* The owner of path: the Redis record, else the tb_upload row; 0 when
 * nobody may delete it. */
static res_t
upload_owner(struct req *rq, const char *path, int64_t *who)
{
    redisReply *r;
    res_t rc =
        rds_cmd(&rq->cx, &r, "GET %s", key_upload_owner(rq->cx.arena, path));
    if (rc != RES_OK)
        return rc;
    const char *v = rds_str(&rq->cx, r);
    if (v == NULL)
        return upload_owner_from_sql(rq, path, who);
    if (str_parse_i64(v, who) < 0)
        *who = 0;
    return RES_OK;
}

/* Forgets path's ownership, row and record (after its file is gone). */
static res_t
upload_forget(struct req *rq, const char *path)
{
    res_t rc = sql_exec(&rq->cx, NULL, "DELETE FROM tb_upload WHERE name = ?",
                        "s", path);
    if (rc != RES_OK)
        return rc;
    return rds_cmd(&rq->cx, NULL, "DEL %s",
                   key_upload_owner(rq->cx.arena, path));
}

res_t
upload_remove(struct req *rq, int64_t uid, const char *path)
{
    int64_t who;
    res_t rc = upload_owner(rq, path, &who);
    if (rc != RES_OK)
        return rc;
    if (who != uid)
        return req_fail(rq, RES_FORBIDDEN, "无权删除该文件");
    int u = upload_unlink(path);
    if (u > 0)
        return req_fail(rq, RES_FORBIDDEN, "错误的文件名称");
    if (u < 0)
        return req_fail(rq, RES_INTERNAL, "unlink %s: %s", path,
                        strerror(errno));
    return upload_forget(rq, path);
}

/* ---------------- blog images ---------------- */

/* The canonical names of images's entries that are our uploads, as an
 * arena array; returns the count. */
static unsigned
upload_names_of(struct req *rq, const char *images, const char ***out)
{
    size_t cnt = 1;
    for (const char *p = images; *p; p++)
        cnt += *p == ',';
    const char **v = arena_alloc(rq->cx.arena, cnt * sizeof(*v));
    unsigned n = 0;
    const char *p = images;
    while (*p) {
        const char *c = strchr(p, ',');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        char *one = arena_strndup(rq->cx.arena, p, l);
        char canon[96];
        if (upload_name_check(one, canon, sizeof(canon)) == 0)
            v[n++] = arena_strdup(rq->cx.arena, canon);
        if (c == NULL)
            break;
        p = c + 1;
    }
    *out = v;
    return n;
}

/* KEYS: owner records; ARGV[1]: owner id. Records of that owner lose
 * their TTL; others are left alone. */
static const struct rds_script upload_lua_claim = {
    "upload_claim", "for _, k in ipairs(KEYS) do\n"
                    "  if redis.call('GET', k) == ARGV[1] then\n"
                    "    redis.call('PERSIST', k)\n"
                    "  end\n"
                    "end\n"
                    "return 0\n"};

res_t
upload_claim(struct req *rq, int64_t owner, const char *images)
{
    const char **names;
    unsigned n = upload_names_of(rq, images, &names);
    if (n == 0)
        return RES_OK;
    const char **keys = arena_alloc(rq->cx.arena, n * sizeof(*keys));
    for (unsigned i = 0; i < n; i++)
        keys[i] = key_upload_owner(rq->cx.arena, names[i]);
    const char *args[1] = {
        arena_printf(rq->cx.arena, "%lld", (long long)owner)};
    /* the row first: it is what outlives a Redis that lost its data */
    struct sql_param *p = arena_calloc(rq->cx.arena, (n + 1) * sizeof(*p));
    p[0].type = 'l';
    p[0].i = owner;
    for (unsigned i = 0; i < n; i++) {
        p[i + 1].type = 's';
        p[i + 1].s = names[i];
    }
    const char *sql = arena_printf(rq->cx.arena,
                                   "UPDATE tb_upload SET claimed = 1 WHERE "
                                   "user_id = ? AND name IN (%s)",
                                   sql_placeholders(&rq->cx, n));
    res_t rc = sql_execv(&rq->cx, NULL, sql, p, n + 1);
    if (rc != RES_OK)
        return rc;
    return rds_eval(&rq->cx, &upload_lua_claim, NULL, (int)n, keys, 1, args);
}

res_t
upload_release(struct req *rq, int64_t owner, const char *images)
{
    const char **names;
    unsigned n = upload_names_of(rq, images, &names);
    if (n == 0)
        return RES_OK;
    res_t rc;
    for (unsigned i = 0; i < n; i++)
        if ((rc = rds_append(&rq->cx, "GET %s",
                             key_upload_owner(rq->cx.arena, names[i]))) !=
            RES_OK)
            return rc;
    int *mine = arena_calloc(rq->cx.arena, n * sizeof(*mine));
    for (unsigned i = 0; i < n; i++) {
        redisReply *r;
        if ((rc = rds_reply(&rq->cx, &r)) != RES_OK)
            return rc;
        int64_t who = 0;
        const char *v = rds_str(&rq->cx, r);
        mine[i] = v && str_parse_i64(v, &who) == 0 && who == owner;
        if (v == NULL)
            mine[i] = -1; /* ask tb_upload once the replies are read */
    }
    for (unsigned i = 0; i < n; i++) {
        int64_t who;
        if (mine[i] >= 0)
            continue;
        if ((rc = upload_owner_from_sql(rq, names[i], &who)) != RES_OK)
            return rc;
        mine[i] = who == owner;
    }
    for (unsigned i = 0; i < n; i++) {
        if (!mine[i])
            continue;
        /* a file we cannot remove is logged and left: retrying would not
         * help, and it must not block the rest of the blog's deletion */
        if (upload_unlink(names[i]) != 0) {
            log_warn("upload: cannot delete %s: %s", names[i], strerror(errno));
            continue;
        }
        if ((rc = upload_forget(rq, names[i])) != RES_OK)
            return rc;
    }
    return RES_OK;
}
