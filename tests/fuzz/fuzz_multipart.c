/*
 * fuzz_multipart.c: libFuzzer harness for the upload module's pure half:
 * upload_boundary, upload_multipart_find, upload_sniff and
 * upload_name_check (plus the blog's image-list check, which guards the
 * same names).
 *
 * Input: the first byte picks the mode. Even: the body is parsed with a
 * fixed boundary, so the fuzzer reaches deep into part parsing quickly.
 * Odd: everything up to the first '\n' is the Content-Type header, the rest
 * the body. The body lives in a buffer of exactly its length (no NUL
 * after it), so any read past the end is an ASan report. Checks: a found
 * field lies inside the body; an accepted name is canonical, short, and
 * free of traversal.
 *
 * Build and run: make fuzz (FUZZ_SECONDS per harness).
 */
#include "../../app/blog/blog.h"
#include "../../app/core/arena.h"
#include "../../app/upload/upload.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct arena *fz_arena;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (fz_arena == NULL)
        fz_arena = arena_new();
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    char boundary[UPLOAD_BOUNDARY_MAX + 1] = "----hmdpFuzzB";
    int e = UPLOAD_OK;
    if (data[0] & 1) {
        const char *nl = memchr(in, '\n', n);
        size_t cl = nl ? (size_t)(nl - in) : n;
        char *ctype = arena_strndup(fz_arena, in, cl);
        e = upload_boundary(ctype, boundary, sizeof(boundary));
        if (e != UPLOAD_OK && e != UPLOAD_E_CTYPE && e != UPLOAD_E_BOUNDARY)
            abort();
        if (e == UPLOAD_OK &&
            (boundary[0] == '\0' || strlen(boundary) > UPLOAD_BOUNDARY_MAX))
            abort();
        in += nl ? cl + 1 : cl;
        n -= nl ? cl + 1 : cl;
    }
    char *body = malloc(n ? n : 1);
    if (body == NULL)
        abort();
    memcpy(body, in, n);
    if (e == UPLOAD_OK) {
        const char *d = NULL;
        size_t dl = 0;
        int r = upload_multipart_find(body, n, boundary, "file", &d, &dl);
        if (r < UPLOAD_OK || r > UPLOAD_E_NO_FIELD)
            abort();
        if (r == UPLOAD_OK && (d == NULL || d < body || d + dl > body + n))
            abort();
        if (r == UPLOAD_OK)
            (void)upload_sniff((const unsigned char *)d, dl);
        (void)upload_strerror(r);
    }
    (void)upload_sniff((const unsigned char *)body, n);
    free(body);

    /* the same bytes as a client-given file name and image list */
    char *name = arena_strndup(fz_arena, (const char *)data + 1, size - 1);
    char canon[96];
    if (upload_name_check(name, canon, sizeof(canon)) == 0) {
        if (strncmp(canon, "/blogs/", 7) != 0 || strstr(canon, "..") ||
            strchr(canon, '\\') || strchr(canon, '%') || strlen(canon) > 63)
            abort();
        char again[96];
        if (upload_name_check(canon, again, sizeof(again)) != 0 ||
            strcmp(again, canon) != 0)
            abort();
    }
    if (blog_images_valid(name)) {
        if (strstr(name, "..") || strstr(name, "//"))
            abort();
        const char **parts;
        unsigned k = blog_split_csv(fz_arena, name, &parts);
        if (k > BLOG_IMAGES_COUNT)
            abort();
    }
    arena_reset(fz_arena);
    return 0;
}
