/*
 * blog.c: the blog module's pure rules: what a blog's images list may
 * look like and how user text is made safe to store. The frontend renders
 * title and content with v-html, so text is stored HTML-escaped (DECISIONS
 * "Shapes and sizes"); line breaks become <br/> after escaping, which is
 * the only markup a stored blog can contain.
 */
#include "blog.h"

#include "../core/req.h"

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
    char *e = html_escape(a, s);
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
