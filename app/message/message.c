/*
 * message.c: the message module's pure rules: message ids, the JSON text
 * of the m and u fields (messages-design.md fixes their key order), and
 * the content rules of comments and chat. No I/O; tests/unit/test_message.c
 * covers every function.
 */
#include "message.h"

#include "../core/str.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void
message_id_next(struct message_idgen *g, long long now_ms, long pid,
                char out[MESSAGE_ID_LEN + 1])
{
    /* a clock stepped back must not make ids go backwards */
    if (now_ms > g->last_ms) {
        g->last_ms = now_ms;
        g->seq = 0;
    } else if (++g->seq > 99999) {
        g->last_ms++;
        g->seq = 0;
    }
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%013lld%07ld%05u",
             g->last_ms % 10000000000000LL, pid % 10000000, g->seq);
    memcpy(out, tmp, MESSAGE_ID_LEN + 1);
}

int
message_id_valid(const char *s)
{
    if (s == NULL || strlen(s) != MESSAGE_ID_LEN)
        return 0;
    for (size_t i = 0; i < MESSAGE_ID_LEN; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

int
message_entry_id_parse(const char *s, unsigned long long *ms,
                       unsigned long long *seq)
{
    if (s == NULL)
        return -1;
    uint64_t a, b;
    if (str_parse_entry_id(s, strlen(s), &a, &b) < 0)
        return -1;
    *ms = a;
    *seq = b;
    return 0;
}

/* s as a JSON string literal (quotes included), the way the envelope
 * writes strings: plain, '/' not escaped. */
static const char *
message_json_str(struct arena *a, const char *s)
{
    struct json_object *o = json_object_new_string(s ? s : "");
    const char *t = json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *c = arena_strdup(a, t);
    json_object_put(o);
    return c;
}

char *
message_m_json(struct arena *a, const struct message *m)
{
    const char *ref = m->ref_str
                          ? message_json_str(a, m->ref_str)
                          : arena_printf(a, "%lld", (long long)m->ref_num);
    return arena_printf(
        a,
        "{\"from\":%lld,\"to\":%lld,\"type\":%s,"
        "\"content\":%s,\"refId\":%s,\"time\":%s}",
        (long long)m->from, (long long)m->to, message_json_str(a, m->type),
        message_json_str(a, m->content), ref, message_json_str(a, m->time));
}

char *
message_u_json(struct arena *a, int64_t id, const char *nick_name,
               const char *icon)
{
    return arena_printf(a, "{\"id\":%lld,\"nickName\":%s,\"icon\":%s}",
                        (long long)id, message_json_str(a, nick_name),
                        message_json_str(a, icon));
}

/* Byte length of the first max code points of s (valid UTF-8). */
static size_t
message_utf8_prefix(const char *s, size_t max)
{
    size_t i = 0, n = 0;
    while (s[i] && n < max) {
        unsigned char c = (unsigned char)s[i];
        size_t w = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        for (size_t k = 1; k < w; k++)
            if (s[i + k] == '\0')
                return i; /* truncated sequence: stop before it */
        i += w;
        n++;
    }
    return i;
}

#define MESSAGE_COMMENT_CHARS 50

char *
message_comment_content(struct arena *a, const char *stored)
{
    static const char pre[] = "评论了你的博客：";
    size_t n = message_utf8_prefix(stored, MESSAGE_COMMENT_CHARS);
    /* "&amp;" cut after "&am" would render as garbage: drop the part of
     * an entity the cut leaves (entities are at most 6 bytes: &quot;) */
    if (stored[n] != '\0') {
        for (size_t k = 1; k <= 6 && k <= n; k++) {
            char c = stored[n - k];
            if (c == ';')
                break;
            if (c == '&') {
                n -= k;
                break;
            }
        }
    }
    return arena_printf(a, "%s%.*s", pre, (int)n, stored);
}

#define MESSAGE_CHAT_MAX 1000

char *
message_chat_content(struct arena *a, const char *raw, const char **why)
{
    const char *b = raw, *e = raw + strlen(raw);
    while (b < e && isspace((unsigned char)*b))
        b++;
    while (e > b && isspace((unsigned char)e[-1]))
        e--;
    long len = str_utf8_len(b, (size_t)(e - b));
    if (len <= 0) {
        *why = len == 0 ? "消息内容不能为空" : "消息内容不是有效的文本";
        return NULL;
    }
    if (len > MESSAGE_CHAT_MAX) {
        *why = "消息内容不能超过1000个字符";
        return NULL;
    }
    return str_html_escape(a, arena_strndup(a, b, (size_t)(e - b)));
}

void
message_time(long long t, char buf[20])
{
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    strftime(buf, 20, "%Y-%m-%dT%H:%M:%S", &tm);
}

int
message_rate_take(struct message_rate *t, int64_t sender, long long sec,
                  int limit)
{
    unsigned i = (unsigned)((uint64_t)sender % MESSAGE_RATE_SLOTS);
    if (t->sender[i] != sender || t->sec[i] != sec) {
        t->sender[i] = sender;
        t->sec[i] = sec;
        t->n[i] = 0;
    }
    if (t->n[i] >= limit)
        return 0;
    t->n[i]++;
    return 1;
}
