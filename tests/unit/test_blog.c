/*
 * test_blog.c: the blog module's pure rules: images lists, stored text
 * (escaping and line breaks), blank checks and CSV splitting.
 */
#include "t.h"

#include "../../app/blog/blog.h"
#include "../../app/core/arena.h"

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

int
main(void)
{
    RUN(test_images_valid);
    RUN(test_text_store);
    RUN(test_blank);
    RUN(test_split_csv);
    T_DONE();
}
