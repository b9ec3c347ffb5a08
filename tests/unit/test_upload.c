/*
 * test_upload.c: the pure half of uploads: boundary extraction, the
 * multipart parser (valid, malformed, truncated, oversized, binary),
 * magic-byte sniffing and upload name validation.
 */
#include "t.h"

#include "../../app/upload/upload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Builds a one-part body with the given headers and content. */
static size_t
mp_one(char *out, const char *b, const char *headers, const char *data,
       size_t dlen)
{
    size_t n = (size_t)sprintf(out, "--%s\r\n%s\r\n\r\n", b, headers);
    memcpy(out + n, data, dlen);
    n += dlen;
    n += (size_t)sprintf(out + n, "\r\n--%s--\r\n", b);
    return n;
}

static void
test_boundary(void)
{
    char b[UPLOAD_BOUNDARY_MAX + 1];
    CHECK(upload_boundary("multipart/form-data; boundary=abc123", b,
                          sizeof(b)) == UPLOAD_OK);
    CHECK_STR(b, "abc123");
    CHECK(upload_boundary("Multipart/Form-Data;boundary=\"a b\"", b,
                          sizeof(b)) == UPLOAD_E_BOUNDARY); /* space */
    CHECK(upload_boundary("multipart/form-data; charset=utf-8; "
                          "BOUNDARY=\"----WebKitFormBoundaryx7\"",
                          b, sizeof(b)) == UPLOAD_OK);
    CHECK_STR(b, "----WebKitFormBoundaryx7");
    CHECK(upload_boundary("multipart/form-data", b, sizeof(b)) ==
          UPLOAD_E_BOUNDARY);
    CHECK(upload_boundary("multipart/form-data; boundary=", b, sizeof(b)) ==
          UPLOAD_E_BOUNDARY);
    CHECK(upload_boundary("multipart/form-data; boundary=\"abc", b,
                          sizeof(b)) == UPLOAD_E_BOUNDARY);
    CHECK(upload_boundary("application/json", b, sizeof(b)) == UPLOAD_E_CTYPE);
    CHECK(upload_boundary("", b, sizeof(b)) == UPLOAD_E_CTYPE);
    CHECK(upload_boundary(NULL, b, sizeof(b)) == UPLOAD_E_CTYPE);
    CHECK(upload_boundary("multipart/form-dataX; boundary=a", b, sizeof(b)) ==
          UPLOAD_E_CTYPE);
    char longb[200] = "multipart/form-data; boundary=";
    memset(longb + strlen(longb), 'x', 71);
    CHECK(upload_boundary(longb, b, sizeof(b)) == UPLOAD_E_BOUNDARY);
}

static void
test_multipart_valid(void)
{
    char body[1024];
    size_t n = mp_one(body, "XyZ",
                      "Content-Disposition: form-data; name=\"file\"; "
                      "filename=\"a.png\"\r\nContent-Type: image/png",
                      "hello", 5);
    const char *d = NULL;
    size_t dl = 0;
    CHECK(upload_multipart_find(body, n, "XyZ", "file", &d, &dl) == UPLOAD_OK);
    CHECK(dl == 5 && d && memcmp(d, "hello", 5) == 0);
    /* other field name */
    CHECK(upload_multipart_find(body, n, "XyZ", "other", &d, &dl) ==
          UPLOAD_E_NO_FIELD);
    /* token form of name; header name case-insensitive */
    n = mp_one(body, "b", "content-disposition: form-data; name=file", "x", 1);
    CHECK(upload_multipart_find(body, n, "b", "file", &d, &dl) == UPLOAD_OK);
    CHECK(dl == 1 && d[0] == 'x');
    /* filename containing name="file" must not confuse the parser */
    n = mp_one(body, "b",
               "Content-Disposition: form-data; name=\"title\"; "
               "filename=\"name=file\"",
               "t", 1);
    CHECK(upload_multipart_find(body, n, "b", "file", &d, &dl) ==
          UPLOAD_E_NO_FIELD);
    /* empty content */
    n = mp_one(body, "b", "Content-Disposition: form-data; name=\"file\"", "",
               0);
    CHECK(upload_multipart_find(body, n, "b", "file", &d, &dl) == UPLOAD_OK);
    CHECK(dl == 0);
}

static void
test_multipart_two_parts(void)
{
    const char *body = "preamble\r\n--B\r\n"
                       "Content-Disposition: form-data; name=\"a\"\r\n\r\n"
                       "AAA\r\n--B\r\n"
                       "Content-Disposition: form-data; name=\"file\"; "
                       "filename=\"x.gif\"\r\n\r\n"
                       "GIF89a..\r\n--B--\r\nepilogue";
    const char *d = NULL;
    size_t dl = 0;
    CHECK(upload_multipart_find(body, strlen(body), "B", "file", &d, &dl) ==
          UPLOAD_OK);
    CHECK(dl == 8 && memcmp(d, "GIF89a..", 8) == 0);
    CHECK(upload_multipart_find(body, strlen(body), "B", "a", &d, &dl) ==
          UPLOAD_OK);
    CHECK(dl == 3 && memcmp(d, "AAA", 3) == 0);
}

static void
test_multipart_binary(void)
{
    /* NULs, CRLFs, a "--" and even the boundary text without the leading
     * CRLF inside the content */
    char data[64];
    size_t dl = 0;
    const unsigned char bin[] = {0x89, 'P', 'N',  'G',  '\r', '\n', 0x1a, '\n',
                                 0,    0,   '\r', '\n', '-',  '-',  'Q',  0,
                                 '-',  '-', 'Q',  'Q',  'Z',  '\r', '\n', 0xff};
    memcpy(data, bin, sizeof(bin));
    dl = sizeof(bin);
    char body[512];
    size_t n = mp_one(
        body, "QQZ", "Content-Disposition: form-data; name=\"file\"", data, dl);
    const char *d = NULL;
    size_t got = 0;
    CHECK(upload_multipart_find(body, n, "QQZ", "file", &d, &got) == UPLOAD_OK);
    CHECK(got == dl && memcmp(d, bin, dl) == 0);
}

static void
test_multipart_malformed(void)
{
    char body[1024];
    const char *d;
    size_t dl;
    size_t n = mp_one(body, "b", "Content-Disposition: form-data; name=file",
                      "abc", 3);
    /* truncated at every length before the closing delimiter: never OK,
     * never a read past the end (ASan watches) */
    for (size_t k = 0; k + 4 < n; k++) {
        char *cut = malloc(k ? k : 1);
        memcpy(cut, body, k);
        int e = upload_multipart_find(cut, k, "b", "file", &d, &dl);
        CHECK(e != UPLOAD_OK);
        free(cut);
    }
    CHECK(upload_multipart_find(NULL, 0, "b", "file", &d, &dl) ==
          UPLOAD_E_TRUNCATED);
    /* wrong boundary */
    CHECK(upload_multipart_find(body, n, "c", "file", &d, &dl) != UPLOAD_OK);
    /* no closing delimiter */
    const char *open = "--b\r\nContent-Disposition: form-data; "
                       "name=file\r\n\r\nabc\r\n--b\r\n";
    CHECK(upload_multipart_find(open, strlen(open), "b", "file", &d, &dl) ==
          UPLOAD_E_TRUNCATED);
    /* header line without a colon */
    n = mp_one(body, "b", "garbage", "x", 1);
    CHECK(upload_multipart_find(body, n, "b", "file", &d, &dl) ==
          UPLOAD_E_MALFORMED);
    /* part without a disposition */
    n = mp_one(body, "b", "Content-Type: text/plain", "x", 1);
    CHECK(upload_multipart_find(body, n, "b", "file", &d, &dl) ==
          UPLOAD_E_MALFORMED);
    /* a disposition type that only starts like form-data */
    n = mp_one(body, "b", "Content-Disposition: form-dataX; name=file", "x", 1);
    CHECK(upload_multipart_find(body, n, "b", "file", &d, &dl) ==
          UPLOAD_E_MALFORMED);
    /* unterminated quote */
    n = mp_one(body, "b", "Content-Disposition: form-data; name=\"file", "x",
               1);
    CHECK(upload_multipart_find(body, n, "b", "file", &d, &dl) ==
          UPLOAD_E_MALFORMED);
    /* garbage after the delimiter instead of CRLF */
    const char *g = "--bXX\r\nContent-Disposition: form-data; "
                    "name=file\r\n\r\nabc\r\n--b--";
    CHECK(upload_multipart_find(g, strlen(g), "b", "file", &d, &dl) !=
          UPLOAD_OK);
    /* empty body, body of only the close delimiter */
    CHECK(upload_multipart_find("", 0, "b", "file", &d, &dl) != UPLOAD_OK);
    CHECK(upload_multipart_find("--b--", 5, "b", "file", &d, &dl) ==
          UPLOAD_E_NO_FIELD);
    /* too many parts */
    char many[8192];
    size_t m = 0;
    for (int i = 0; i < UPLOAD_MAX_PARTS + 1; i++)
        m += (size_t)sprintf(many + m,
                             "--b\r\nContent-Disposition: form-data; "
                             "name=f%d\r\n\r\nv\r\n",
                             i);
    m += (size_t)sprintf(many + m, "--b--\r\n");
    CHECK(upload_multipart_find(many, m, "b", "file", &d, &dl) ==
          UPLOAD_E_MALFORMED);
}

static void
test_multipart_huge_header(void)
{
    size_t cap = 3 * UPLOAD_HEADER_MAX;
    char *body = malloc(cap);
    char *hdr = malloc(UPLOAD_HEADER_MAX + 200);
    int k = sprintf(hdr, "Content-Disposition: form-data; name=file\r\nX: ");
    memset(hdr + k, 'a', UPLOAD_HEADER_MAX);
    hdr[k + UPLOAD_HEADER_MAX] = '\0';
    size_t n = mp_one(body, "b", hdr, "x", 1);
    const char *d;
    size_t dl;
    CHECK(upload_multipart_find(body, n, "b", "file", &d, &dl) ==
          UPLOAD_E_HEADER);
    /* an endless header (no blank line at all) */
    size_t m = (size_t)sprintf(body, "--b\r\nX: ");
    memset(body + m, 'h', 2 * UPLOAD_HEADER_MAX);
    m += 2 * UPLOAD_HEADER_MAX;
    CHECK(upload_multipart_find(body, m, "b", "file", &d, &dl) ==
          UPLOAD_E_HEADER);
    /* just under the limit is fine */
    k = sprintf(hdr, "Content-Disposition: form-data; name=file\r\nX: ");
    memset(hdr + k, 'a', 100);
    hdr[k + 100] = '\0';
    n = mp_one(body, "b", hdr, "x", 1);
    CHECK(upload_multipart_find(body, n, "b", "file", &d, &dl) == UPLOAD_OK);
    free(body);
    free(hdr);
}

static void
test_sniff(void)
{
    const unsigned char png[] = {0x89, 'P',  'N',  'G', '\r',
                                 '\n', 0x1a, '\n', 0};
    const unsigned char jpg[] = {0xFF, 0xD8, 0xFF, 0xE0};
    CHECK_STR(upload_sniff(png, sizeof(png)), "png");
    CHECK(upload_sniff(png, 7) == NULL);
    CHECK_STR(upload_sniff(jpg, 4), "jpg");
    CHECK(upload_sniff(jpg, 2) == NULL);
    CHECK_STR(upload_sniff((const unsigned char *)"GIF89a", 6), "gif");
    CHECK_STR(upload_sniff((const unsigned char *)"GIF87a..", 8), "gif");
    CHECK(upload_sniff((const unsigned char *)"GIF88a", 6) == NULL);
    CHECK_STR(upload_sniff((const unsigned char *)"RIFF\0\0\0\0WEBPVP8 ", 16),
              "webp");
    CHECK(upload_sniff((const unsigned char *)"RIFF\0\0\0\0WAVE", 12) == NULL);
    CHECK(upload_sniff((const unsigned char *)"<html><script>", 14) == NULL);
    CHECK(upload_sniff((const unsigned char *)"<svg xmlns=", 11) == NULL);
    CHECK(upload_sniff((const unsigned char *)"hello.png", 9) == NULL);
    CHECK(upload_sniff(NULL, 0) == NULL);
}

/* A valid name for base (32 hex) with its buckets. */
static void
good_name(const char *base, const char *ext, char *out, size_t cap)
{
    unsigned d1, d2;
    upload_bucket(base, &d1, &d2);
    snprintf(out, cap, "/blogs/%u/%u/%s.%s", d1, d2, base, ext);
}

static void
test_name_check(void)
{
    const char *base = "0123456789abcdef0123456789abcdef";
    char ok[128], out[96], buf[256];
    good_name(base, "png", ok, sizeof(ok));
    CHECK(upload_name_check(ok, out, sizeof(out)) == 0);
    CHECK_STR(out, ok);
    snprintf(buf, sizeof(buf), "/imgs%s", ok);
    CHECK(upload_name_check(buf, out, sizeof(out)) == 0);
    CHECK_STR(out, ok);
    good_name(base, "webp", ok, sizeof(ok));
    CHECK(upload_name_check(ok, out, sizeof(out)) == 0);

    unsigned d1, d2;
    upload_bucket(base, &d1, &d2);
    CHECK(d1 < 16 && d2 < 16);
    const char *bad[] = {
        "",
        "/",
        "blogs/1/2/x.png",
        "/blogs/../../etc/passwd",
        "/imgs/blogs/../../../etc/passwd",
        "/imgs/../blogs/1/2/0123456789abcdef0123456789abcdef.png",
        "/blogs/1/2/../2/0123456789abcdef0123456789abcdef.png",
        "/blogs/%2e%2e/1/0123456789abcdef0123456789abcdef.png",
        "/blogs\\1\\2\\0123456789abcdef0123456789abcdef.png",
        "//blogs/1/2/0123456789abcdef0123456789abcdef.png",
        "/etc/passwd",
        "/imgs/imgs/blogs/1/2/0123456789abcdef0123456789abcdef.png",
        "/blogs/16/2/0123456789abcdef0123456789abcdef.png",
        "/blogs/01/2/0123456789abcdef0123456789abcdef.png",
        "/blogs/-1/2/0123456789abcdef0123456789abcdef.png",
        "/blogs/1/2/0123456789ABCDEF0123456789abcdef.png",
        "/blogs/1/2/0123456789abcdef0123456789abcde.png",
        "/blogs/1/2/0123456789abcdef0123456789abcdef0.png",
        "/blogs/1/2/0123456789abcdef0123456789abcdef.html",
        "/blogs/1/2/0123456789abcdef0123456789abcdef.svg",
        "/blogs/1/2/0123456789abcdef0123456789abcdef.png/",
        "/blogs/1/2/0123456789abcdef0123456789abcdef.png.html",
        "/blogs/1/2/0123456789abcdef0123456789abcdef",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (upload_name_check(bad[i], out, sizeof(out)) == 0)
            printf("  accepted: %s\n", bad[i]);
        CHECK(upload_name_check(bad[i], out, sizeof(out)) != 0);
    }
    CHECK(upload_name_check(NULL, out, sizeof(out)) != 0);
    /* right shape, wrong buckets */
    snprintf(buf, sizeof(buf), "/blogs/%u/%u/%s.png", (d1 + 1) % 16, d2, base);
    CHECK(upload_name_check(buf, out, sizeof(out)) != 0);
    /* trailing NUL-separated junk cannot exist in a C string; a suffix
     * after the extension is refused */
    good_name(base, "png", ok, sizeof(ok));
    snprintf(buf, sizeof(buf), "%s%%00.html", ok);
    CHECK(upload_name_check(buf, out, sizeof(out)) != 0);
    /* out too small */
    CHECK(upload_name_check(ok, out, 10) != 0);
}

int
main(void)
{
    RUN(test_boundary);
    RUN(test_multipart_valid);
    RUN(test_multipart_two_parts);
    RUN(test_multipart_binary);
    RUN(test_multipart_malformed);
    RUN(test_multipart_huge_header);
    RUN(test_sniff);
    RUN(test_name_check);
    T_DONE();
}
