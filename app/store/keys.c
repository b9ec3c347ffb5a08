/*
 * keys.c: Redis key builders. Keep every format here so a rename is one
 * edit and grep finds all users of a key.
 */
#include "keys.h"

#include <string.h>

char *
key_login_code(struct arena *a, const char *phone)
{
    return arena_printf(a, "login:code:%s", phone);
}

char *
key_login_code_fail(struct arena *a, const char *phone)
{
    return arena_printf(a, "login:code:fail:%s", phone);
}

char *
key_login_code_gap(struct arena *a, const char *phone)
{
    return arena_printf(a, "login:code:gap:%s", phone);
}

char *
key_login_code_day(struct arena *a, const char *phone, const char *yyyymmdd)
{
    return arena_printf(a, "login:code:day:%s:%s", yyyymmdd, phone);
}

char *
key_login_pw_fail(struct arena *a, const char *phone)
{
    return arena_printf(a, "login:pwfail:%s", phone);
}

char *
key_login_token(struct arena *a, const char *token)
{
    /* built by hand: this runs on every authenticated request, and
     * vsnprintf costs more than the rest of the key */
    static const char pre[] = KEY_LOGIN_TOKEN_PREFIX;
    size_t n = strlen(token);
    char *k = arena_alloc(a, sizeof(pre) + n);
    memcpy(k, pre, sizeof(pre) - 1);
    memcpy(k + sizeof(pre) - 1, token, n + 1);
    return k;
}

int
key_login_token_stale(long long pttl_ms)
{
    if (pttl_ms == -1) /* exists without a TTL: give it one */
        return 1;
    return pttl_ms >= 0 && pttl_ms < TTL_LOGIN_TOKEN * 1000LL;
}

/* pre followed by id in decimal, built by hand: the blog read path
 * builds one or two such keys per blog shown, and vsnprintf (twice, in
 * arena_printf) costs more than the rest of the key. */
static char *
key_with_id(struct arena *a, const char *pre, size_t pre_len, int64_t id)
{
    char digits[24], *d = digits + sizeof(digits);
    unsigned long long v =
        id < 0 ? 0ULL - (unsigned long long)id : (unsigned long long)id;
    do
        *--d = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    if (id < 0)
        *--d = '-';
    size_t n = (size_t)(digits + sizeof(digits) - d);
    char *k = arena_alloc(a, pre_len + n + 1);
    memcpy(k, pre, pre_len);
    memcpy(k + pre_len, d, n);
    k[pre_len + n] = '\0';
    return k;
}
#define KEY_WITH_ID(a, pre, id) key_with_id(a, pre, sizeof(pre) - 1, id)

char *
key_login_sessions(struct arena *a, int64_t uid)
{
    return KEY_WITH_ID(a, "login:sessions:", uid);
}

char *
key_cache_shop(struct arena *a, int64_t id)
{
    return KEY_WITH_ID(a, KEY_CACHE_SHOP_PREFIX, id);
}

char *
key_lock_shop(struct arena *a, int64_t id)
{
    return KEY_WITH_ID(a, "lock:shop:", id);
}

char *
key_shop_geo(struct arena *a, int64_t type_id)
{
    return KEY_WITH_ID(a, "shop:geo:", type_id);
}

char *
key_shop_geo_loaded(struct arena *a, int64_t type_id)
{
    return KEY_WITH_ID(a, "shop:geo:loaded:", type_id);
}

char *
key_shop_rebuilds(struct arena *a, int64_t id)
{
    return KEY_WITH_ID(a, "cache:rebuilds:shop:", id);
}

char *
key_seckill_stock(struct arena *a, int64_t voucher_id)
{
    return KEY_WITH_ID(a, "seckill:stock:", voucher_id);
}

char *
key_seckill_order(struct arena *a, int64_t voucher_id)
{
    return KEY_WITH_ID(a, "seckill:order:", voucher_id);
}

char *
key_seckill_voucher(struct arena *a, int64_t voucher_id)
{
    return KEY_WITH_ID(a, "seckill:voucher:", voucher_id);
}

char *
key_icr(struct arena *a, const char *prefix, const char *yyyymmdd)
{
    return arena_printf(a, "icr:%s:%s", prefix, yyyymmdd);
}

char *
key_blog_liked(struct arena *a, int64_t blog_id)
{
    return KEY_WITH_ID(a, KEY_BLOG_LIKED_PREFIX, blog_id);
}

char *
key_blog_gone(struct arena *a, int64_t blog_id)
{
    return KEY_WITH_ID(a, "blog:gone:", blog_id);
}

char *
key_cache_blog(struct arena *a, int64_t blog_id)
{
    return KEY_WITH_ID(a, KEY_CACHE_BLOG_PREFIX, blog_id);
}

char *
key_cache_blog_ver(struct arena *a, int64_t blog_id)
{
    return KEY_WITH_ID(a, "cache:blog:ver:", blog_id);
}

char *
key_comment_liked(struct arena *a, int64_t comment_id)
{
    return KEY_WITH_ID(a, "comment:liked:", comment_id);
}

char *
key_blog_liking(struct arena *a, int64_t blog_id)
{
    return KEY_WITH_ID(a, KEY_BLOG_LIKING_PREFIX, blog_id);
}

char *
key_comment_liking(struct arena *a, int64_t comment_id)
{
    return KEY_WITH_ID(a, KEY_COMMENT_LIKING_PREFIX, comment_id);
}

char *
key_blog_owner(struct arena *a, int64_t blog_id)
{
    return KEY_WITH_ID(a, "blog:owner:", blog_id);
}

char *
key_feed(struct arena *a, int64_t user_id)
{
    return KEY_WITH_ID(a, KEY_FEED_PREFIX, user_id);
}

char *
key_feed_outbox(struct arena *a, int64_t author)
{
    return KEY_WITH_ID(a, KEY_FEED_OUTBOX_PREFIX, author);
}

char *
key_feed_outbox_ver(struct arena *a, int64_t author)
{
    return KEY_WITH_ID(a, "feed:outbox:ver:", author);
}

char *
key_follows(struct arena *a, int64_t user_id)
{
    return KEY_WITH_ID(a, KEY_FOLLOWS_PREFIX, user_id);
}

char *
key_follows_gen(struct arena *a, int64_t user_id)
{
    return KEY_WITH_ID(a, KEY_FOLLOWS_GEN_PREFIX, user_id);
}

char *
key_follows_since(struct arena *a, int64_t user_id)
{
    return KEY_WITH_ID(a, KEY_FOLLOWS_SINCE_PREFIX, user_id);
}

char *
key_cache_follow_common(struct arena *a, int64_t lo, int64_t hi)
{
    return arena_printf(a, "cache:follow:common:%lld:%lld", (long long)lo,
                        (long long)hi);
}

char *
key_sign(struct arena *a, int64_t user_id, const char *yyyymm)
{
    return arena_printf(a, "sign:%lld:%s", (long long)user_id, yyyymm);
}

char *
key_uv(struct arena *a, const char *yyyymmdd)
{
    return arena_printf(a, "uv:%s", yyyymmdd);
}

char *
key_upload_owner(struct arena *a, const char *path)
{
    return arena_printf(a, "upload:owner:%s", path);
}

char *
key_message_stream(struct arena *a, int64_t user_id)
{
    return KEY_WITH_ID(a, "message.stream:", user_id);
}

char *
key_message_mid(struct arena *a, const char *mid)
{
    return arena_printf(a, "message:mid:%s", mid);
}

char *
key_message_like_once(struct arena *a, int64_t liker, int64_t blog)
{
    return arena_printf(a, "message:like:%lld:%lld", (long long)liker,
                        (long long)blog);
}

char *
key_message_chat_rate(struct arena *a, int64_t user_id, long sec)
{
    return arena_printf(a, "message:rate:%lld:%ld", (long long)user_id, sec);
}

char *
key_message_user(struct arena *a, int64_t user_id)
{
    return KEY_WITH_ID(a, "message:user:", user_id);
}

char *
key_userdto(struct arena *a, int64_t user_id)
{
    return KEY_WITH_ID(a, "userdto:", user_id);
}

char *
key_cache_user(struct arena *a, int64_t user_id)
{
    return KEY_WITH_ID(a, KEY_CACHE_USER_PREFIX, user_id);
}

char *
key_heartbeat(struct arena *a, const char *component)
{
    return arena_printf(a, "hb:%s", component);
}

char *
key_stream_dlq(struct arena *a, const char *stream)
{
    return arena_printf(a, "%s" KEY_STREAM_DLQ_SUFFIX, stream);
}

char *
key_stream_trim_hist(struct arena *a, const char *stream)
{
    return arena_printf(a, "stream.trim:hist:%s", stream);
}
