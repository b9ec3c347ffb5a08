/*
 * user.c: the user module's pure rules.
 */
#include "user.h"

#include <string.h>

int
user_phone_valid(const char *p)
{
    if (p == NULL || strlen(p) != 11)
        return 0;
    for (int i = 0; i < 11; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    if (p[0] != '1')
        return 0;
    char a = p[1], b = p[2];
    switch (a) {
    case '3':
    case '8':
        return 1;
    case '4':
        return b == '5' || b == '7' || b == '9';
    case '5':
        return b != '4';
    case '6':
        return b == '6';
    case '7':
        return strchr("0135678", b) != NULL;
    case '9':
        return b == '8' || b == '9';
    default:
        return 0;
    }
}

int
user_sign_streak(uint64_t bits)
{
    int n = 0;
    while (bits & 1) {
        n++;
        bits >>= 1;
    }
    return n;
}

int
user_token_shape_ok(const char *t)
{
    if (t == NULL || strlen(t) != 32)
        return 0;
    for (int i = 0; i < 32; i++)
        if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
            return 0;
    return 1;
}
