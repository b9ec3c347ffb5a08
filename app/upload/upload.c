/*
 * upload.c: the pure half of uploads: the multipart/form-data parser, the
 * magic-byte sniffer and the checks on file names. Nothing here touches a
 * file or a store, so all of it runs in the unit tests.
 *
 * The parser is strict and bounded: it works on the body as len bytes
 * (never as a C string, since images contain NULs), never reads past
 * body + len, caps each part's header block at UPLOAD_HEADER_MAX and the
 * number of parts at UPLOAD_MAX_PARTS, and insists on the closing
 * delimiter, so a truncated body is refused instead of storing half an
 * image. Content is returned as a slice of the body; nothing is copied.
 */
#include "upload.h"

#include <string.h>

/* ================= content type ================= */

static int
upload_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
upload_prefix_ci(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++)
        if (upload_lower((unsigned char)*s) != *prefix)
            return 0;
    return 1;
}

/* RFC 2046 bchars, without the space (browsers never send one, and a
 * trailing space is illegal anyway). */
static int
upload_bchar(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || strchr("'()+_,-./:=?", c) != NULL;
}

int
upload_boundary(const char *ctype, char *out, size_t cap)
{
    if (ctype == NULL || !upload_prefix_ci(ctype, "multipart/form-data"))
        return UPLOAD_E_CTYPE;
    const char *p = ctype + strlen("multipart/form-data");
    if (*p != '\0' && *p != ';' && *p != ' ' && *p != '\t')
        return UPLOAD_E_CTYPE;
    /* walk the parameters: ; name=value or ; name="quoted" */
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != ';')
            return UPLOAD_E_BOUNDARY;
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        const char *name = p;
        while (*p && *p != '=' && *p != ';')
            p++;
        size_t nl = (size_t)(p - name);
        while (nl > 0 && (name[nl - 1] == ' ' || name[nl - 1] == '\t'))
            nl--;
        if (*p != '=')
            return UPLOAD_E_BOUNDARY;
        p++;
        char val[UPLOAD_BOUNDARY_MAX + 2];
        size_t vl = 0;
        if (*p == '"') {
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1])
                    p++;
                if (vl > UPLOAD_BOUNDARY_MAX)
                    return UPLOAD_E_BOUNDARY;
                val[vl++] = *p++;
            }
            if (*p != '"')
                return UPLOAD_E_BOUNDARY;
            p++;
        } else {
            while (*p && *p != ';' && *p != ' ' && *p != '\t') {
                if (vl > UPLOAD_BOUNDARY_MAX)
                    return UPLOAD_E_BOUNDARY;
                val[vl++] = *p++;
            }
        }
        if (nl == 8 && upload_prefix_ci(name, "boundary")) {
            if (vl == 0 || vl > UPLOAD_BOUNDARY_MAX || vl + 1 > cap)
                return UPLOAD_E_BOUNDARY;
            for (size_t i = 0; i < vl; i++)
                if (!upload_bchar((unsigned char)val[i]))
                    return UPLOAD_E_BOUNDARY;
            memcpy(out, val, vl);
            out[vl] = '\0';
            return UPLOAD_OK;
        }
    }
    return UPLOAD_E_BOUNDARY;
}

/* ================= multipart body ================= */

/* First occurrence of needle in [h, h+hn), or NULL. */
static const char *
upload_find(const char *h, size_t hn, const char *needle, size_t nn)
{
    if (nn == 0 || hn < nn)
        return NULL;
    const char *end = h + hn - nn;
    for (const char *p = h; p <= end; p++) {
        p = memchr(p, needle[0], (size_t)(end - p) + 1);
        if (p == NULL)
            return NULL;
        if (memcmp(p, needle, nn) == 0)
            return p;
    }
    return NULL;
}

/* Value of parameter key in a Content-Disposition line [p, e): quoted or
 * token. Returns 1 and sets *v and *vn (quoted values are returned raw, without
 * the quotes; the field names we compare never contain escapes). */
static int
upload_disp_param(const char *p, const char *e, const char *key, const char **v,
                  size_t *vn)
{
    size_t kl = strlen(key);
    /* skip the disposition type */
    while (p < e && *p != ';')
        p++;
    while (p < e) {
        p++; /* the ';' */
        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        const char *k = p;
        while (p < e && *p != '=' && *p != ';')
            p++;
        size_t kn = (size_t)(p - k);
        while (kn > 0 && (k[kn - 1] == ' ' || k[kn - 1] == '\t'))
            kn--;
        const char *vs = NULL;
        size_t vl = 0;
        if (p < e && *p == '=') {
            p++;
            while (p < e && (*p == ' ' || *p == '\t'))
                p++;
            if (p < e && *p == '"') {
                vs = ++p;
                while (p < e && *p != '"') {
                    if (*p == '\\' && p + 1 < e)
                        p++;
                    p++;
                }
                if (p >= e)
                    return -1; /* unterminated quote */
                vl = (size_t)(p - vs);
                p++;
            } else {
                vs = p;
                while (p < e && *p != ';' && *p != ' ' && *p != '\t')
                    p++;
                vl = (size_t)(p - vs);
            }
            while (p < e && *p != ';')
                p++;
        }
        if (kn == kl && vs != NULL) {
            int same = 1;
            for (size_t i = 0; i < kl; i++)
                if (upload_lower((unsigned char)k[i]) != key[i])
                    same = 0;
            if (same) {
                *v = vs;
                *vn = vl;
                return 1;
            }
        }
    }
    return 0;
}

/* Finds the form field name of a part's header block [h, h+hn). Returns
 * 1 with *name and *nn set, 0 when there is no form-data disposition, -1 when
 * a header line is malformed. */
static int
upload_part_name(const char *h, size_t hn, const char **name, size_t *nn)
{
    const char *p = h, *e = h + hn;
    int found = 0;
    while (p < e) {
        const char *le = upload_find(p, (size_t)(e - p), "\r\n", 2);
        if (le == NULL)
            le = e;
        const char *colon = memchr(p, ':', (size_t)(le - p));
        if (colon == NULL || colon == p)
            return -1;
        for (const char *c = p; c < le; c++)
            if (*c == '\0')
                return -1;
        size_t kl = (size_t)(colon - p);
        if (kl == 19 && upload_prefix_ci(p, "content-disposition")) {
            const char *v = colon + 1;
            while (v < le && (*v == ' ' || *v == '\t'))
                v++;
            if ((size_t)(le - v) < 9 || !upload_prefix_ci(v, "form-data") ||
                (v + 9 < le && v[9] != ';' && v[9] != ' ' && v[9] != '\t'))
                return -1;
            int r = upload_disp_param(v, le, "name", name, nn);
            if (r < 0)
                return -1;
            if (r == 1) {
                if (found)
                    return -1; /* two dispositions */
                found = 1;
            }
        }
        p = le + 2;
    }
    return found;
}

int
upload_multipart_find(const char *body, size_t len, const char *boundary,
                      const char *field, const char **data, size_t *dlen)
{
    size_t bl = strlen(boundary);
    if (bl == 0 || bl > UPLOAD_BOUNDARY_MAX)
        return UPLOAD_E_BOUNDARY;
    /* "\r\n--" boundary: the delimiter that ends every part */
    char delim[UPLOAD_BOUNDARY_MAX + 5];
    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, boundary, bl);
    size_t dl = bl + 4;

    if (body == NULL)
        return UPLOAD_E_TRUNCATED;
    const char *e = body + len, *p;
    /* the first delimiter opens the body, or follows a preamble */
    if (len >= dl - 2 && memcmp(body, delim + 2, dl - 2) == 0) {
        p = body + dl - 2;
    } else {
        const char *d = upload_find(body, len, delim, dl);
        if (d == NULL)
            return len < dl ? UPLOAD_E_TRUNCATED : UPLOAD_E_MALFORMED;
        p = d + dl;
    }

    int found = 0, parts = 0;
    for (;;) {
        /* after a delimiter: "--" closes, else padding and CRLF */
        if (e - p >= 2 && p[0] == '-' && p[1] == '-')
            break;
        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        if (e - p < 2)
            return UPLOAD_E_TRUNCATED;
        if (p[0] != '\r' || p[1] != '\n')
            return UPLOAD_E_MALFORMED;
        p += 2;
        if (++parts > UPLOAD_MAX_PARTS)
            return UPLOAD_E_MALFORMED;

        /* header block, ended by an empty line; may itself be empty */
        const char *hs = p, *he;
        size_t hn;
        if (e - p >= 2 && p[0] == '\r' && p[1] == '\n') {
            he = p;
            hn = 0;
            p += 2;
        } else {
            size_t window = (size_t)(e - p);
            if (window > UPLOAD_HEADER_MAX + 4)
                window = UPLOAD_HEADER_MAX + 4;
            he = upload_find(p, window, "\r\n\r\n", 4);
            if (he == NULL)
                return (size_t)(e - p) > UPLOAD_HEADER_MAX ? UPLOAD_E_HEADER
                                                           : UPLOAD_E_TRUNCATED;
            hn = (size_t)(he - hs);
            if (hn > UPLOAD_HEADER_MAX)
                return UPLOAD_E_HEADER;
            p = he + 4;
        }

        /* content up to the next delimiter */
        const char *d = upload_find(p, (size_t)(e - p), delim, dl);
        if (d == NULL)
            return UPLOAD_E_TRUNCATED;

        const char *name;
        size_t nn;
        int r = upload_part_name(hs, hn, &name, &nn);
        if (r < 0 || r == 0)
            return UPLOAD_E_MALFORMED;
        if (!found && nn == strlen(field) && memcmp(name, field, nn) == 0) {
            found = 1;
            *data = p;
            *dlen = (size_t)(d - p);
        }
        p = d + dl;
    }
    /* anything after the close delimiter is an epilogue: ignored */
    return found ? UPLOAD_OK : UPLOAD_E_NO_FIELD;
}

const char *
upload_strerror(int e)
{
    switch (e) {
    case UPLOAD_OK:
        return "ok";
    case UPLOAD_E_CTYPE:
        return "请使用 multipart/form-data 上传";
    case UPLOAD_E_BOUNDARY:
        return "multipart 缺少有效的 boundary";
    case UPLOAD_E_TRUNCATED:
        return "multipart 请求体不完整";
    case UPLOAD_E_HEADER:
        return "multipart 头部过大";
    case UPLOAD_E_NO_FIELD:
        return "缺少文件字段 file";
    default:
        return "multipart 格式错误";
    }
}

/* ================= images and names ================= */

const char *
upload_sniff(const unsigned char *p, size_t n)
{
    if (p == NULL)
        return NULL;
    if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "png";
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        return "jpg";
    if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
        return "gif";
    if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
        return "webp";
    return NULL;
}

void
upload_bucket(const char *name, unsigned *d1, unsigned *d2)
{
    uint32_t h = 2166136261u;
    for (const char *s = name; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    *d1 = h & 0xF;
    *d2 = (h >> 4) & 0xF;
}

/* Parses a bucket number 0..15 written without leading zeros; returns the
 * number of characters used, 0 when there is none. */
static int
upload_bucket_num(const char *s, unsigned *v)
{
    if (s[0] < '0' || s[0] > '9')
        return 0;
    if (s[0] == '0') {
        if (s[1] >= '0' && s[1] <= '9')
            return 0;
        *v = 0;
        return 1;
    }
    if (s[1] >= '0' && s[1] <= '9') {
        unsigned x = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
        if (x > 15 || (s[2] >= '0' && s[2] <= '9'))
            return 0;
        *v = x;
        return 2;
    }
    *v = (unsigned)(s[0] - '0');
    return 1;
}

int
upload_name_check(const char *name, char *out, size_t cap)
{
    if (name == NULL)
        return -1;
    const char *s = name;
    if (strncmp(s, "/imgs/", 6) == 0)
        s += 5;
    if (strncmp(s, "/blogs/", 7) != 0)
        return -1;
    const char *p = s + 7;
    unsigned d1, d2;
    int k = upload_bucket_num(p, &d1);
    if (k == 0 || p[k] != '/')
        return -1;
    p += k + 1;
    if ((k = upload_bucket_num(p, &d2)) == 0 || p[k] != '/')
        return -1;
    p += k + 1;
    const char *file = p;
    for (int i = 0; i < 32; i++, p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return -1;
    if (*p++ != '.')
        return -1;
    if (strcmp(p, "png") != 0 && strcmp(p, "jpg") != 0 &&
        strcmp(p, "gif") != 0 && strcmp(p, "webp") != 0)
        return -1;
    /* the buckets must be the ones upload gives this name */
    char base[33];
    memcpy(base, file, 32);
    base[32] = '\0';
    unsigned b1, b2;
    upload_bucket(base, &b1, &b2);
    if (b1 != d1 || b2 != d2)
        return -1;
    size_t n = strlen(s);
    if (n + 1 > cap)
        return -1;
    memcpy(out, s, n + 1);
    return 0;
}
