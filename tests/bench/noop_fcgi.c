/*
 * noop_fcgi.c: the benchmark floor. A FastCGI responder that does no work:
 * it reads the body file named by argv[1] once at startup and answers every
 * request with "200 OK", a JSON content type and those bytes. Comparing it
 * with the real worker behind the same nginx shows what the app itself costs.
 *
 * Like hmdp-worker it accepts on fd 0, so spawn-fcgi (optionally through
 * multiwatch) starts it:
 *   spawn-fcgi -a 127.0.0.1 -p 8085 -- build/rel/noop-fcgi body.json
 * The request body, if any, is not read; libfcgi discards it when the
 * request ends.
 */
#include <fcgiapp.h>
#include <poll.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char noop_head[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json;charset=UTF-8\r\n"
    "\r\n";

/* Reads the whole file into a malloc'd buffer. Returns NULL after printing
 * why. */
static char *
noop_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "noop-fcgi: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *grown = realloc(buf, cap * 2);
        if (grown == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = grown;
        cap *= 2;
    }
    if (buf == NULL || ferror(f)) {
        fprintf(stderr, "noop-fcgi: cannot read %s\n", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s BODY_FILE (FastCGI socket on fd 0)\n",
                argv[0]);
        return 2;
    }
    size_t body_len = 0;
    char *body = noop_read_file(argv[1], &body_len);
    if (body == NULL)
        return 1;
    if (body_len > (size_t)0x7fffffff) {
        fprintf(stderr, "noop-fcgi: %s is too large\n", argv[1]);
        free(body);
        return 1;
    }

    if (FCGX_Init() != 0) {
        fprintf(stderr, "noop-fcgi: FCGX_Init failed\n");
        free(body);
        return 1;
    }
    FCGX_Request r;
    if (FCGX_InitRequest(&r, 0, 0) != 0) {
        fprintf(stderr, "noop-fcgi: FCGX_InitRequest failed\n");
        free(body);
        return 1;
    }
    for (;;) {
        /* same connection policy as app/core/fcgi.c: give up an idle
         * kept connection when another one is waiting to be accepted,
         * with a plain close() as fcgi_release() does there */
        if (r.ipcFd >= 0) {
            struct pollfd p[2] = {{r.ipcFd, POLLIN, 0}, {0, POLLIN, 0}};
            if (poll(p, 2, -1) > 0 && !p[0].revents &&
                (p[1].revents & POLLIN)) {
                close(r.ipcFd);
                r.ipcFd = -1;
                FCGX_Free(&r, 0);
            }
        }
        if (FCGX_Accept_r(&r) < 0)
            break;
        FCGX_PutStr(noop_head, (int)(sizeof(noop_head) - 1), r.out);
        FCGX_PutStr(body, (int)body_len, r.out);
        FCGX_Finish_r(&r);
    }
    FCGX_Free(&r, 1);
    free(body);
    return 0;
}
