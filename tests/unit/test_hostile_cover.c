/*
 * test_hostile_cover.c: every route of the worker (app/wire.c's
 * wire_tables) has a row in
 * tests/integ/hostile_routes.h, so the hostile-input sweep
 * (tests/integ/test_hostile.c) covers new routes; and each row's auth
 * flags agree with the route's. A failure names the route: add its row
 * (see the comment at the top of hostile_routes.h).
 */
#include "../../app/wire.h"

#include "../integ/hostile_routes.h"
#include "t.h"

static const char *
cover_method_name(unsigned bit)
{
    switch (bit) {
    case HTTP_GET:
        return "GET";
    case HTTP_POST:
        return "POST";
    case HTTP_PUT:
        return "PUT";
    case HTTP_DELETE:
        return "DELETE";
    default:
        return NULL;
    }
}

static void
test_every_route_has_a_row(void)
{
    int routes = 0;
    for (size_t t = 0; wire_tables[t]; t++) {
        for (const struct route *r = wire_tables[t]; r->pattern; r++) {
            for (unsigned bit = 1; bit <= HTTP_DELETE; bit <<= 1) {
                if (!(r->methods & bit))
                    continue;
                const char *m = cover_method_name(bit);
                const struct h_route *row = NULL;
                for (size_t i = 0; i < HOSTILE_NROUTES; i++)
                    if (strcmp(hostile_routes[i].pattern, r->pattern) == 0 &&
                        strcmp(hostile_routes[i].method, m) == 0)
                        row = &hostile_routes[i];
                routes++;
                if (row == NULL) {
                    printf("  no row in tests/integ/hostile_routes.h for "
                           "%s %s\n",
                           m, r->pattern);
                    CHECK(row != NULL);
                    continue;
                }
                if (!(row->flags & H_AUTH) != !(r->flags & ROUTE_AUTH) ||
                    !(row->flags & H_ADMIN) != !(r->flags & ROUTE_ADMIN)) {
                    printf("  hostile_routes.h: auth flags of %s %s differ "
                           "from the route table\n",
                           m, r->pattern);
                    CHECK(0);
                }
            }
        }
    }
    CHECK(routes > 0);
    /* and no stale rows */
    for (size_t i = 0; i < HOSTILE_NROUTES; i++) {
        int found = 0;
        for (size_t t = 0; wire_tables[t]; t++)
            for (const struct route *r = wire_tables[t]; r->pattern; r++)
                if (strcmp(hostile_routes[i].pattern, r->pattern) == 0)
                    found = 1;
        if (!found)
            printf("  stale row in hostile_routes.h: %s %s\n",
                   hostile_routes[i].method, hostile_routes[i].pattern);
        CHECK(found);
    }
}

int
main(void)
{
    RUN(test_every_route_has_a_row);
    T_DONE();
}
