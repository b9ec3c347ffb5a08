/*
 * fcgi.h: the worker's accept loop. The only module that sees libfcgi;
 * what happens between the parsed request and the handler is
 * core/dispatch.h.
 */
#ifndef HMDP_FCGI_H
#define HMDP_FCGI_H

#include "dispatch.h"

/* Serves requests on the listening socket at fd 0 (as spawn-fcgi passes
 * it) until SIGTERM/SIGINT. Returns 0 on orderly stop, -1 on setup error. */
int fcgi_serve(const struct route *const *tables,
               const struct dispatch_hooks *hooks);

#endif
