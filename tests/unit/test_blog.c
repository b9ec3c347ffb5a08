/*
 * test_blog.c: the blog module's pure rules: images lists, stored text
 * (escaping and line breaks), blank checks and CSV splitting; the cached
 * forms (fragments, rendered hot pages) and the blog cache key builders.
 */
#include "t.h"

#include "../../app/blog/blog.h"
#include "../../app/blog/blog_private.h"
#include "../../app/core/arena.h"
#include "../../app/store/keys.h"

#include <stdio.h>
#include <string.h>

static void
test_images_valid(void)
{
    CHECK(blog_images_valid(""));
    CHECK(blog_images_valid(NULL));
    CHECK(blog_images_valid("/imgs/blogs/blog1.jpg"));
    CHECK(blog_images_valid("/imgs/blogs/7/14/4771fefb-1a87-4252-816c-"
                            "9f7ec41ffa4a.jpg,/imgs/blogs/4/10/a.jpg"));
    CHECK(!blog_images_valid("/imgs/blogs/"));
    CHECK(!blog_images_valid("/imgs/blogs/a.jpg,"));
    CHECK(!blog_images_valid(",/imgs/blogs/a.jpg"));
    CHECK(!blog_images_valid("/imgs/blogs/a.jpg,,/imgs/blogs/b.jpg"));
    CHECK(!blog_images_valid("/imgs/blogs/../../etc/passwd"));
    CHECK(!blog_images_valid("/imgs/blogs/a..jpg"));
    CHECK(!blog_images_valid("/imgs/blogs//a.jpg"));
    CHECK(!blog_images_valid("/imgs/blogs/a/"));
    CHECK(!blog_images_valid("/imgs/icons/a.jpg"));
    CHECK(!blog_images_valid("http://evil/imgs/blogs/a.jpg"));
    CHECK(!blog_images_valid("/imgs/blogs/a.jpg\" onerror=\"x"));
    CHECK(!blog_images_valid("/imgs/blogs/a b.jpg"));
    CHECK(!blog_images_valid("/imgs/blogs/a%2e.jpg"));
    CHECK(!blog_images_valid("/imgs/blogs\\a.jpg"));
    char nine[512] = "", ten[1024] = "";
    for (int i = 0; i < 9; i++)
        sprintf(nine + strlen(nine), "%s/imgs/blogs/%d.jpg", i ? "," : "", i);
    snprintf(ten, sizeof(ten), "%s,/imgs/blogs/9.jpg", nine);
    CHECK(blog_images_valid(nine));
    CHECK(!blog_images_valid(ten));
    char longone[400] = "/imgs/blogs/";
    memset(longone + 12, 'a', 300);
    CHECK(!blog_images_valid(longone));
}

static void
test_text_store(void)
{
    struct arena *a = arena_new();
    CHECK_STR(blog_text_store(a, "<script>alert('x')</script>", 0),
              "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    CHECK_STR(blog_text_store(a, "a & \"b\"", 0), "a &amp; &#34;b&#34;");
    CHECK_STR(blog_text_store(a, "l1\nl2\r\nl3\rl4", 1),
              "l1<br/>l2<br/>l3<br/>l4");
    CHECK_STR(blog_text_store(a, "l1\nl2", 0), "l1\nl2");
    CHECK_STR(blog_text_store(a, "<b>\n</b>", 1), "&lt;b&gt;<br/>&lt;/b&gt;");
    CHECK_STR(blog_text_store(a, "", 1), "");
    CHECK_STR(blog_text_store(a, "中文\n🍷", 1), "中文<br/>🍷");
    arena_free(a);
}

static void
test_blank(void)
{
    CHECK(blog_blank(""));
    CHECK(blog_blank(NULL));
    CHECK(blog_blank(" \t\r\n "));
    CHECK(!blog_blank(" x "));
    CHECK(!blog_blank("中"));
}

static void
test_split_csv(void)
{
    struct arena *a = arena_new();
    const char **v;
    CHECK(blog_split_csv(a, "", &v) == 0);
    CHECK(blog_split_csv(a, "a", &v) == 1);
    CHECK_STR(v[0], "a");
    CHECK(blog_split_csv(a, "a,bb,,c", &v) == 3);
    CHECK_STR(v[0], "a");
    CHECK_STR(v[1], "bb");
    CHECK_STR(v[2], "c");
    CHECK(blog_split_csv(a, "a,", &v) == 1);
    arena_free(a);
}

static void
test_page_roundtrip(void)
{
    struct arena *a = arena_new();
    /* a title with a raw line break: the fragment has none */
    struct blog b = {7, 1, 2, 3, 4, "t\nx", "", "c\r\n", NULL, NULL};
    struct user_dto u = {2, "nick\n", "/i.png"};
    size_t l0, l2, plen;
    char *f0 = blog_frag_render(a, &b, &u, &l0);
    CHECK(memchr(f0, '\n', l0) == NULL);
    CHECK(f0[0] == '{' && f0[l0 - 1] != '}');
    b.id = 1234567890123LL;
    char *f2 = blog_frag_render(a, &b, NULL, &l2);
    int64_t ids[3] = {7, 99, 1234567890123LL};
    const char *frag[3] = {f0, NULL, f2};
    size_t flen[3] = {l0, 0, l2};
    char *page = blog_page_render(a, ids, frag, flen, 3, &plen);
    CHECK(plen == strlen(page));
    CHECK(strncmp(page, "7,1234567890123\n{", 17) == 0);
    int64_t *pi;
    const char **pf;
    size_t *pl;
    CHECK(blog_page_parse(a, page, plen, &pi, &pf, &pl) == 2);
    CHECK(pi[0] == 7 && pi[1] == 1234567890123LL);
    CHECK(pl[0] == l0 && memcmp(pf[0], f0, l0) == 0);
    CHECK(pl[1] == l2 && memcmp(pf[1], f2, l2) == 0);
    /* the spliced cards equal the fragments completed with isLike */
    int likes[2] = {1, 0};
    size_t cl;
    char *cards = blog_cards_array(a, pf, pl, likes, 2, &cl);
    CHECK(cards[0] == '[' && cards[cl - 1] == ']' && cl == strlen(cards));
    CHECK(strstr(cards, ",\"isLike\":true},{") != NULL);
    CHECK(strstr(cards, ",\"isLike\":false}]") != NULL);

    /* empty page */
    const char *none[1] = {NULL};
    page = blog_page_render(a, ids, none, flen, 1, &plen);
    CHECK(plen == 0 && page[0] == '\0');
    CHECK(blog_page_parse(a, "", 0, &pi, &pf, &pl) == 0);
    /* not a rendered page: ids without fragments (the old id lists),
     * counts that differ, junk */
    const char *bad[] = {"7",
                         "7,8",
                         "7,8\n{\"id\":7",
                         "7\n{a\n{b",
                         "7\nx",
                         "\n{a",
                         "7,\n{a",
                         ",7\n{a",
                         "-7\n{a",
                         "0\n{a",
                         "7\n",
                         "7 \n{a",
                         "7\n{a\n",
                         "12345678901234567890\n{a"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int n = blog_page_parse(a, bad[i], strlen(bad[i]), &pi, &pf, &pl);
        CHECK(n == -1);
        if (n != -1)
            printf("  accepted: %s\n", bad[i]);
    }
    arena_free(a);
}

static void
test_cache_keys(void)
{
    struct arena *a = arena_new();
    CHECK_STR(key_cache_blog(a, 42), "cache:blog:42");
    CHECK_STR(key_cache_blog_ver(a, 0), "cache:blog:ver:0");
    CHECK_STR(key_blog_liked(a, INT64_MAX), "blog:liked:9223372036854775807");
    CHECK_STR(key_blog_liked(a, INT64_MIN), "blog:liked:-9223372036854775808");
    CHECK_STR(key_cache_blog(a, -5), "cache:blog:-5");
    CHECK_STR(key_blog_owner(a, 7), "blog:owner:7");
    arena_free(a);
}

int
main(void)
{
    RUN(test_images_valid);
    RUN(test_text_store);
    RUN(test_blank);
    RUN(test_split_csv);
    RUN(test_page_roundtrip);
    RUN(test_cache_keys);
    T_DONE();
}
