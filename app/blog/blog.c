/*
 * blog.c: the blog module's pure rules: what a blog's images list may
 * look like and how user text is made safe to store. The frontend renders
 * title and content with v-html, so text is stored HTML-escaped (DECISIONS
 * "Shapes and sizes"); line breaks become <br/> after escaping, which is
 * the only markup a stored blog can contain.
 */
#include "blog_private.h"

#include "../core/reply.h"
#include "../core/req.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

int
blog_blank(const char *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return 0;
    return 1;
}

static int
blog_image_char(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == '-' ||
           c == '/';
}

int
blog_images_valid(const char *images)
{
    if (images == NULL || *images == '\0')
        return 1;
    if (strlen(images) > BLOG_IMAGES_MAX)
        return 0;
    int count = 0;
    const char *p = images;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        if (++count > BLOG_IMAGES_COUNT)
            return 0;
        if (l <= strlen("/imgs/blogs/") || l > BLOG_IMAGE_LEN ||
            strncmp(p, "/imgs/blogs/", 12) != 0)
            return 0;
        for (size_t i = 0; i < l; i++) {
            if (!blog_image_char((unsigned char)p[i]))
                return 0;
            if (i + 1 < l && p[i] == '.' && p[i + 1] == '.')
                return 0;
            if (i + 1 < l && p[i] == '/' && p[i + 1] == '/')
                return 0;
        }
        if (p[l - 1] == '/')
            return 0;
        if (c == NULL)
            return 1;
        p = c + 1;
    }
}

char *
blog_text_store(struct arena *a, const char *s, int br)
{
    char *e = str_html_escape(a, s);
    if (!br)
        return e;
    size_t breaks = 0;
    for (const char *p = e; *p; p++)
        breaks += *p == '\n' || *p == '\r';
    char *out = arena_alloc(a, strlen(e) + breaks * 5 + 1), *o = out;
    for (const char *p = e; *p; p++) {
        if (*p == '\r' || *p == '\n') {
            if (*p == '\r' && p[1] == '\n')
                p++;
            memcpy(o, "<br/>", 5);
            o += 5;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

unsigned
blog_split_csv(struct arena *a, const char *csv, const char ***out)
{
    size_t cap = 1;
    for (const char *p = csv; *p; p++)
        cap += *p == ',';
    const char **v = arena_alloc(a, cap * sizeof(*v));
    unsigned n = 0;
    const char *p = csv;
    while (*p) {
        const char *c = strchr(p, ',');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        if (l > 0)
            v[n++] = arena_strndup(a, p, l);
        if (c == NULL)
            break;
        p = c + 1;
    }
    *out = v;
    return n;
}

/* ---------------- cached hot pages ---------------- */

char *
blog_page_render(struct arena *a, const int64_t *ids, const char *const *frag,
                 const size_t *flen, unsigned n, size_t *len)
{
    size_t cap = 1;
    for (unsigned i = 0; i < n; i++)
        if (frag[i])
            cap += 22 + flen[i];
    char *out = arena_alloc(a, cap), *o = out;
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        if (frag[i])
            o += sprintf(o, "%s%lld", k++ ? "," : "", (long long)ids[i]);
    for (unsigned i = 0; i < n; i++) {
        if (frag[i] == NULL)
            continue;
        *o++ = '\n';
        memcpy(o, frag[i], flen[i]);
        o += flen[i];
    }
    *o = '\0';
    *len = (size_t)(o - out);
    return out;
}

int
blog_page_parse(struct arena *a, const char *s, size_t len, int64_t **ids,
                const char ***frag, size_t **flen)
{
    const char *end = s + len, *nl = memchr(s, '\n', len);
    const char *ie = nl ? nl : end;
    /* as many fragments as ids: the id list bounds both */
    size_t cap = 1;
    for (const char *p = s; p < ie; p++)
        cap += *p == ',';
    int64_t *iv = arena_alloc(a, cap * sizeof(*iv));
    const char **fv = arena_alloc(a, cap * sizeof(*fv));
    size_t *lv = arena_alloc(a, cap * sizeof(*lv));
    unsigned n = 0, m = 0;
    /* the ids: positive decimals joined by commas ("" for none) */
    for (const char *p = s; p < ie;) {
        int64_t v = 0;
        const char *d = p;
        for (; p < ie && *p >= '0' && *p <= '9' && p - d < 18; p++)
            v = v * 10 + (*p - '0');
        if (p == d || v <= 0 || (p < ie && *p != ','))
            return -1;
        if (p < ie && ++p == ie)
            return -1; /* trailing comma */
        iv[n++] = v;
    }
    /* the fragments, each after a line break */
    for (const char *p = nl; p && p < end;) {
        const char *f = p + 1, *q = memchr(f, '\n', (size_t)(end - f));
        const char *fe = q ? q : end;
        if (fe == f || *f != '{' || m >= n)
            return -1;
        fv[m] = f;
        lv[m++] = (size_t)(fe - f);
        p = q;
    }
    if (m != n)
        return -1;
    *ids = iv;
    *frag = fv;
    *flen = lv;
    return (int)n;
}
