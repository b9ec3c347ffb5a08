/*
 * test_message.c: the message module's pure rules (app/message/message.c):
 * ids, the m/u JSON texts of messages-design.md, content rules.
 */
#include "../../app/message/message.h"
#include "t.h"

#include <json-c/json.h>
#include <stdlib.h>

static void
test_id_order(void)
{
    struct message_idgen g = {0, 0};
    char a[MESSAGE_ID_LEN + 1], b[MESSAGE_ID_LEN + 1];
    message_id_next(&g, 1764583200000LL, 4242, a);
    CHECK_STR(a, "1764583200000000424200000");
    CHECK(message_id_valid(a));
    message_id_next(&g, 1764583200000LL, 4242, b);
    CHECK(strcmp(a, b) < 0); /* same ms: the sequence orders them */
    /* a clock stepped back never makes an id smaller */
    message_id_next(&g, 1764583100000LL, 4242, a);
    CHECK(strcmp(b, a) < 0);
    message_id_next(&g, 1764583300000LL, 4242, b);
    CHECK(strcmp(a, b) < 0);
    CHECK_STR(b, "1764583300000000424200000");
    /* a sequence that would overflow borrows the next ms */
    g.seq = 99999;
    message_id_next(&g, 1764583300000LL, 4242, a);
    CHECK_STR(a, "1764583300001000424200000");
    CHECK(strcmp(b, a) < 0);
    /* ids of many sends keep their order as strings */
    struct message_idgen h = {0, 0};
    char prev[MESSAGE_ID_LEN + 1] = "";
    int ordered = 1;
    for (int i = 0; i < 300000; i++) {
        message_id_next(&h, 1764583200000LL + i / 200000, 99, a);
        if (strcmp(prev, a) >= 0)
            ordered = 0;
        memcpy(prev, a, sizeof(prev));
    }
    CHECK(ordered);
}

static void
test_id_valid(void)
{
    CHECK(message_id_valid("1764583200000000424200000"));
    CHECK(!message_id_valid("176458320000000042420000"));   /* 24 */
    CHECK(!message_id_valid("17645832000000004242000000")); /* 26 */
    CHECK(!message_id_valid("1764583200000-00424200000"));
    CHECK(!message_id_valid(""));
    CHECK(!message_id_valid(NULL));
    CHECK(!message_id_valid("x764583200000000424200000"));
}

static void
test_entry_id(void)
{
    unsigned long long ms = 0, seq = 0;
    CHECK(message_entry_id_parse("1764583200000-0", &ms, &seq) == 0);
    CHECK(ms == 1764583200000ULL && seq == 0);
    CHECK(message_entry_id_parse("5-12", &ms, &seq) == 0 && ms == 5 &&
          seq == 12);
    CHECK(message_entry_id_parse("5", &ms, &seq) < 0);
    CHECK(message_entry_id_parse("-5", &ms, &seq) < 0);
    CHECK(message_entry_id_parse("5-", &ms, &seq) < 0);
    CHECK(message_entry_id_parse("5-1-2", &ms, &seq) < 0);
    CHECK(message_entry_id_parse("5 -1", &ms, &seq) < 0);
    CHECK(message_entry_id_parse("+5-1", &ms, &seq) < 0);
    CHECK(message_entry_id_parse("99999999999999999999-1", &ms, &seq) < 0);
    CHECK(message_entry_id_parse("", &ms, &seq) < 0);
    CHECK(message_entry_id_parse(NULL, &ms, &seq) < 0);
}

static void
test_m_json(void)
{
    struct arena *a = arena_new();
    struct message m = {
        5, 2, "like", "点赞了你的博客", 4, NULL, "2026-12-01T10:00:00"};
    CHECK_STR(
        message_m_json(a, &m),
        "{\"from\":5,\"to\":2,\"type\":\"like\",\"content\":"
        "\"点赞了你的博客\",\"refId\":4,\"time\":\"2026-12-01T10:00:00\"}");
    struct message o = {0,
                        7,
                        "order",
                        "抢购成功，订单已创建",
                        0,
                        "123456789012345678",
                        "2026-12-01T10:00:00"};
    CHECK_STR(message_m_json(a, &o),
              "{\"from\":0,\"to\":7,\"type\":\"order\",\"content\":"
              "\"抢购成功，订单已创建\",\"refId\":\"123456789012345678\","
              "\"time\":\"2026-12-01T10:00:00\"}");
    /* content with quotes, a tab, a line break and a slash stays one
     * valid JSON text, on one line */
    struct message c = {1, 2, "chat", "a\"b\tc\nd/e", 0, "x", "t"};
    char *j = message_m_json(a, &c);
    CHECK(strchr(j, '\n') == NULL && strchr(j, '\t') == NULL);
    struct json_object *p = json_tokener_parse(j);
    CHECK(p != NULL);
    struct json_object *v;
    CHECK(p && json_object_object_get_ex(p, "content", &v) &&
          strcmp(json_object_get_string(v), "a\"b\tc\nd/e") == 0);
    json_object_put(p);
    CHECK_STR(message_u_json(a, 5, "小鱼", "/imgs/x.jpg"),
              "{\"id\":5,\"nickName\":\"小鱼\",\"icon\":\"/imgs/x.jpg\"}");
    CHECK_STR(message_u_json(a, 6, NULL, NULL),
              "{\"id\":6,\"nickName\":\"\",\"icon\":\"\"}");
    arena_free(a);
}

static void
test_comment_content(void)
{
    struct arena *a = arena_new();
    CHECK_STR(message_comment_content(a, "好吃"), "评论了你的博客：好吃");
    /* 60 Chinese characters: the first 50 */
    char in[256] = "", want[256] = "评论了你的博客：";
    for (int i = 0; i < 60; i++)
        strcat(in, "好");
    for (int i = 0; i < 50; i++)
        strcat(want, "好");
    CHECK_STR(message_comment_content(a, in), want);
    /* a cut inside "&amp;" drops the piece of the entity */
    char e[128];
    memset(e, 'x', 48);
    strcpy(e + 48, "&amp;yyy");
    char w2[128] = "评论了你的博客：";
    strncat(w2, e, 48);
    CHECK_STR(message_comment_content(a, e), w2);
    /* an entity that ends exactly at the cut stays */
    memset(e, 'x', 45);
    strcpy(e + 45, "&amp;yyy");
    char w3[128] = "评论了你的博客：";
    strncat(w3, e, 50);
    CHECK_STR(message_comment_content(a, e), w3);
    CHECK_STR(message_comment_content(a, ""), "评论了你的博客：");
    arena_free(a);
}

static void
test_chat_content(void)
{
    struct arena *a = arena_new();
    const char *why = NULL;
    CHECK_STR(message_chat_content(a, "  hi <b>  ", &why), "hi &lt;b&gt;");
    CHECK(message_chat_content(a, "   \n\t ", &why) == NULL && why);
    CHECK(message_chat_content(a, "", &why) == NULL);
    char *big = malloc(3100);
    big[0] = '\0';
    for (int i = 0; i < 1000; i++)
        strcat(big, "好");
    CHECK(message_chat_content(a, big, &why) != NULL);
    strcat(big, "好");
    CHECK(message_chat_content(a, big, &why) == NULL);
    free(big);
    CHECK(message_chat_content(a, "\xff\xfe", &why) == NULL);
    arena_free(a);
}

/* The worker-local chat rate used while Redis is down. */
static void
test_rate_take(void)
{
    static struct message_rate t;
    for (int i = 0; i < 3; i++)
        CHECK(message_rate_take(&t, 7, 100, 3) == 1);
    CHECK(message_rate_take(&t, 7, 100, 3) == 0);
    CHECK(message_rate_take(&t, 8, 100, 3) == 1); /* another sender */
    CHECK(message_rate_take(&t, 7, 101, 3) == 1); /* the next second */
    /* a sender on the same slot takes it over and starts at 0 */
    CHECK(message_rate_take(&t, 7 + MESSAGE_RATE_SLOTS, 101, 1) == 1);
    CHECK(message_rate_take(&t, 7 + MESSAGE_RATE_SLOTS, 101, 1) == 0);
}

int
main(void)
{
    RUN(test_id_order);
    RUN(test_id_valid);
    RUN(test_entry_id);
    RUN(test_m_json);
    RUN(test_comment_content);
    RUN(test_chat_content);
    RUN(test_rate_take);
    T_DONE();
}
