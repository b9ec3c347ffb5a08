/*
 * jsonv.c: JSON that json-c does not check for us: strict syntax of a
 * request body, and json-c objects adopted by an arena.
 */
#include "jsonv.h"

#include <ctype.h>
#include <json-c/json.h>
#include <string.h>

void
jsonv_put(void *p)
{
    json_object_put(p);
}

void
jsonv_adopt(struct arena *a, struct json_object *o)
{
    if (o)
        arena_defer(a, jsonv_put, o);
}

static size_t
jsonv_ws(const char *s, size_t n, size_t i)
{
    while (i < n &&
           (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* A string at s[*i] == '"': no raw control characters, only the escapes
 * RFC 8259 lists. Advances *i past the closing quote. */
static int
jsonv_string(const char *s, size_t n, size_t *i)
{
    for (size_t j = *i + 1; j < n; j++) {
        unsigned char c = (unsigned char)s[j];
        if (c == '"') {
            *i = j + 1;
            return 0;
        }
        if (c < 0x20)
            return -1;
        if (c != '\\')
            continue;
        if (++j >= n)
            return -1;
        if (s[j] == 'u') {
            for (int k = 1; k <= 4; k++)
                if (j + (size_t)k >= n ||
                    !isxdigit((unsigned char)s[j + (size_t)k]))
                    return -1;
            j += 4;
        } else if (strchr("\"\\/bfnrt", s[j]) == NULL || s[j] == '\0') {
            return -1;
        }
    }
    return -1;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? at s[*i]. */
static int
jsonv_number(const char *s, size_t n, size_t *i)
{
    size_t j = *i;
#define REQ_DIGIT(k) ((k) < n && s[k] >= '0' && s[k] <= '9')
    if (j < n && s[j] == '-')
        j++;
    if (j < n && s[j] == '0')
        j++;
    else if (REQ_DIGIT(j))
        while (REQ_DIGIT(j))
            j++;
    else
        return -1;
    if (j < n && s[j] == '.') {
        if (!REQ_DIGIT(j + 1))
            return -1;
        for (j++; REQ_DIGIT(j); j++)
            ;
    }
    if (j < n && (s[j] == 'e' || s[j] == 'E')) {
        j++;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            j++;
        if (!REQ_DIGIT(j))
            return -1;
        while (REQ_DIGIT(j))
            j++;
    }
#undef REQ_DIGIT
    *i = j;
    return 0;
}

/* Strict RFC 8259 syntax of a whole body: one value with optional white
 * space around it, nesting at most JSONV_DEPTH. json-c alone is
 * lenient even with JSON_TOKENER_STRICT (single quotes, NaN, Infinity,
 * "1.", raw control characters in strings), so bodies are checked here
 * first. Iterative: no recursion on hostile nesting. */
int
jsonv_syntax(const char *s, size_t n)
{
    char stack[JSONV_DEPTH];
    int depth = 0;
    size_t i = 0;
    for (;;) {
        /* a value */
        i = jsonv_ws(s, n, i);
        if (i >= n)
            return -1;
        char c = s[i];
        if (c == '{' || c == '[') {
            if (depth == JSONV_DEPTH)
                return -1;
            stack[depth++] = c;
            i = jsonv_ws(s, n, i + 1);
            if (i < n && s[i] == (c == '{' ? '}' : ']')) {
                depth--;
                i++;
                goto after_value;
            }
            if (c == '[')
                continue;
            goto key;
        }
        if (c == '"') {
            if (jsonv_string(s, n, &i) < 0)
                return -1;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            if (jsonv_number(s, n, &i) < 0)
                return -1;
        } else if (n - i >= 4 && memcmp(s + i, "true", 4) == 0) {
            i += 4;
        } else if (n - i >= 5 && memcmp(s + i, "false", 5) == 0) {
            i += 5;
        } else if (n - i >= 4 && memcmp(s + i, "null", 4) == 0) {
            i += 4;
        } else {
            return -1;
        }
    after_value:
        i = jsonv_ws(s, n, i);
        if (depth == 0)
            return i == n ? 0 : -1;
        if (i >= n)
            return -1;
        if (s[i] == (stack[depth - 1] == '{' ? '}' : ']')) {
            depth--;
            i++;
            goto after_value;
        }
        if (s[i] != ',')
            return -1;
        i = jsonv_ws(s, n, i + 1);
        if (stack[depth - 1] == '[')
            continue;
    key:
        /* at a member: "key" ws ':' */
        if (i >= n || s[i] != '"' || jsonv_string(s, n, &i) < 0)
            return -1;
        i = jsonv_ws(s, n, i);
        if (i >= n || s[i] != ':')
            return -1;
        i++;
    }
}
