/*
 * res.h: the one status type. Every function that can fail returns a res_t;
 * core/reply.c holds the only mapping from res_t to HTTP status.
 */
#ifndef HMDP_RES_H
#define HMDP_RES_H

typedef enum {
    RES_OK = 0,
    RES_REFUSED,   /* 200 with success:false: a business outcome for the user */
    RES_BAD_INPUT, /* 400 */
    RES_UNAUTH,    /* 401 */
    RES_FORBIDDEN, /* 403 */
    RES_NOT_FOUND, /* 404 */
    RES_METHOD,    /* 405 */
    RES_CONFLICT, /* 409: a unique key refused a row (callers usually absorb) */
    RES_TOO_LARGE, /* 413 */
    RES_DEP_DOWN,  /* 503: Redis or MySQL unreachable */
    RES_INTERNAL   /* 500 */
} res_t;

#endif
