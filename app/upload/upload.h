/*
 * upload.h: blog image uploads (API.md §4.6, DECISIONS.md Uploads).
 *
 * Files live under g_cfg.upload_dir as blogs/{d1}/{d2}/{32 hex}.{ext},
 * which nginx serves at /imgs/. The API speaks of them as
 * "/blogs/{d1}/{d2}/{name}.{ext}" (the page prepends /imgs); that string
 * is also the ownership record's name: upload:owner:{path} = userId.
 *
 * The pure half (multipart parsing, magic bytes, name checks) is in
 * upload.c and unit-tested; the file, SQL and Redis work is in
 * upload_data.c. The ownership record has a durable copy in tb_upload.
 */
#ifndef HMDP_UPLOAD_H
#define HMDP_UPLOAD_H

#include "../core/req.h"
#include "../core/route.h"

#include <stddef.h>
#include <stdint.h>

extern const struct route upload_routes[];

/* For the blog module. images is a blog's comma-joined image list
 * ("/imgs/blogs/..."); entries that are not our upload names are ignored.
 *
 * upload_claim: makes the ownership record of every image the owner
 * uploaded permanent (a published blog keeps its files), so that deleting
 * the blog can later delete them. Errors are described on rq.
 *
 * upload_release: deletes the files among images that owner uploaded
 * (and their records). Idempotent: a missing file counts as deleted.
 * Errors are described on rq; files already deleted stay deleted. */
res_t upload_claim(struct req *rq, int64_t owner, const char *images);
res_t upload_release(struct req *rq, int64_t owner, const char *images);

/* ---- pure helpers (upload.c), unit-tested ---- */

enum upload_err {
    UPLOAD_OK = 0,
    UPLOAD_E_CTYPE,     /* not multipart/form-data */
    UPLOAD_E_BOUNDARY,  /* no usable boundary parameter */
    UPLOAD_E_TRUNCATED, /* body ends before the closing delimiter */
    UPLOAD_E_HEADER,    /* a part's header block is over UPLOAD_HEADER_MAX */
    UPLOAD_E_MALFORMED, /* anything else that is not RFC 7578 */
    UPLOAD_E_NO_FIELD   /* well formed, but no part with that name */
};

#define UPLOAD_HEADER_MAX   8192 /* bytes of one part's header block */
#define UPLOAD_MAX_PARTS    16
#define UPLOAD_BOUNDARY_MAX 70 /* RFC 2046 */

/* Copies the boundary parameter of a multipart/form-data content type
 * (quoted or token form) into out (cap >= UPLOAD_BOUNDARY_MAX + 1).
 * Returns UPLOAD_OK, UPLOAD_E_CTYPE or UPLOAD_E_BOUNDARY. */
int upload_boundary(const char *ctype, char *out, size_t cap);

/* Parses a whole multipart body (binary-safe: len bytes, NULs allowed)
 * and points *data and *dlen at the content of the first part whose
 * Content-Disposition name is field. The whole body is validated up to
 * the closing delimiter. Returns an enum upload_err. */
int upload_multipart_find(const char *body, size_t len, const char *boundary,
                          const char *field, const char **data, size_t *dlen);

/* File extension from the magic bytes ("png", "jpg", "gif", "webp"), or
 * NULL when p is not one of those images. */
const char *upload_sniff(const unsigned char *p, size_t n);

/* Bucket directories of a file name: d1 = h & 15, d2 = (h >> 4) & 15 with
 * h the 32-bit FNV-1a hash of name. */
void upload_bucket(const char *name, unsigned *d1, unsigned *d2);

/* Checks a client-given name: an optional leading "/imgs", then exactly
 * "/blogs/<d1>/<d2>/<32 lowercase hex>.<png|jpg|gif|webp>" with d1/d2 the
 * name's buckets (0..15, no leading zeros). On success copies the
 * canonical "/blogs/..." form into out (cap >= 64) and returns 0; -1
 * otherwise (traversal, encodings, backslashes, anything else). */
int upload_name_check(const char *name, char *out, size_t cap);

/* A short user-facing message for an enum upload_err. */
const char *upload_strerror(int e);

#endif
