/*
 * test_apidoc.c: conf/openapi.json against the worker's route tables.
 * Every routed method and path has an operation in the document, and
 * every operation in the document is routed, except:
 *   - the routes other issues are adding now (apidoc_pending below; each
 *     entry names its issue, and the coordinator deletes it when the
 *     route lands: a pending entry that is routed fails too), and
 *   - operations another process serves (x-hmdp-served-by), which must
 *     then have their own location in conf/nginx.conf.in.
 * Each operation's security and error answers agree with the route's
 * flags, and the answer schemas are strict (additionalProperties false
 * and a required list on every object that lists properties), so that a
 * renamed field fails tests/integ/test_apidoc.c's validation.
 * The document's path templates may name a parameter differently from
 * the route table only where OpenAPI forces one name per path (two
 * routes /comment/{blogId} and /comment/{id}); the operation then says
 * so in x-hmdp-route-pattern.
 */
#include "../../app/wire.h"

#include "t.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The worker's route tables (app/wire.c). */
static const struct route *const *
apidoc_routed_tables(void)
{
    return wire_tables;
}

/* Contract routes not routed yet: the coordinator empties this list as
 * they land (and drops each operation's x-hmdp-contract). */
static const struct {
    const char *method, *path, *issue;
} apidoc_pending[] = {
    {NULL, NULL, ""}, /* the end (the list may be empty) */
};

static struct json_object *doc;

static struct json_object *
jget(struct json_object *o, const char *k)
{
    struct json_object *v = NULL;
    if (o && json_object_is_type(o, json_type_object))
        json_object_object_get_ex(o, k, &v);
    return v;
}

/* path with every {name} replaced by {}: OpenAPI's notion of "the same
 * path" and the router's (a parameter matches any segment). */
static void
apidoc_norm(const char *path, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = path; *p && n + 3 < cap; p++) {
        out[n++] = *p;
        if (*p == '{') {
            while (*p && *p != '}')
                p++;
            out[n++] = '}';
            if (!*p)
                break;
        }
    }
    out[n] = '\0';
}

static const char *
apidoc_method(unsigned bit)
{
    switch (bit) {
    case HTTP_GET:
        return "get";
    case HTTP_POST:
        return "post";
    case HTTP_PUT:
        return "put";
    case HTTP_DELETE:
        return "delete";
    default:
        return NULL;
    }
}

/* The document's operation for method + a path equal to pattern after
 * apidoc_norm; *key gets the document's path key. */
static struct json_object *
apidoc_find(const char *method, const char *pattern, const char **key)
{
    char want[256], have[256];
    apidoc_norm(pattern, want, sizeof(want));
    json_object_object_foreach(jget(doc, "paths"), k, item)
    {
        apidoc_norm(k, have, sizeof(have));
        struct json_object *op = jget(item, method);
        if (op && strcmp(want, have) == 0) {
            *key = k;
            return op;
        }
    }
    return NULL;
}

static int
apidoc_routed(const char *method, const char *path)
{
    char want[256], have[256];
    apidoc_norm(path, want, sizeof(want));
    const struct route *const *tables = apidoc_routed_tables();
    for (size_t t = 0; tables[t]; t++)
        for (const struct route *r = tables[t]; r->pattern; r++)
            for (unsigned bit = 1; bit <= HTTP_DELETE; bit <<= 1) {
                const char *m = apidoc_method(bit);
                apidoc_norm(r->pattern, have, sizeof(have));
                if ((r->methods & bit) && strcmp(m, method) == 0 &&
                    strcmp(want, have) == 0)
                    return 1;
            }
    return 0;
}

static int
apidoc_pending_index(const char *method, const char *path)
{
    for (size_t i = 0; apidoc_pending[i].method; i++)
        if (strcmp(apidoc_pending[i].method, method) == 0 &&
            strcmp(apidoc_pending[i].path, path) == 0)
            return (int)i;
    return -1;
}

/* 1 when the operation's security is exactly one requirement naming
 * scheme (or, with scheme NULL, contains the empty requirement). */
static int
apidoc_security_is(struct json_object *op, const char *scheme)
{
    struct json_object *sec = jget(op, "security");
    if (!sec || !json_object_is_type(sec, json_type_array))
        return 0;
    size_t n = json_object_array_length(sec);
    if (scheme == NULL) {
        for (size_t i = 0; i < n; i++)
            if (json_object_object_length(json_object_array_get_idx(sec, i)) ==
                0)
                return 1;
        return 0;
    }
    /* login routes may list other ways to send the same token (sseToken)
     * but never the empty requirement */
    int named = 0;
    for (size_t i = 0; i < n; i++) {
        struct json_object *req = json_object_array_get_idx(sec, i);
        if (json_object_object_length(req) == 0)
            return 0;
        if (jget(req, scheme))
            named = 1;
    }
    return named;
}

static int
apidoc_has_response(struct json_object *op, const char *status)
{
    return jget(jget(op, "responses"), status) != NULL;
}

static void
test_every_route_is_documented(void)
{
    int routes = 0;
    const struct route *const *tables = apidoc_routed_tables();
    for (size_t t = 0; tables[t]; t++) {
        for (const struct route *r = tables[t]; r->pattern; r++) {
            for (unsigned bit = 1; bit <= HTTP_DELETE; bit <<= 1) {
                if (!(r->methods & bit))
                    continue;
                const char *m = apidoc_method(bit), *key = NULL;
                routes++;
                struct json_object *op = apidoc_find(m, r->pattern, &key);
                if (op == NULL) {
                    printf("  %s %s is routed but not in conf/openapi.json\n",
                           m, r->pattern);
                    CHECK(op != NULL);
                    continue;
                }
                struct json_object *alias = jget(op, "x-hmdp-route-pattern");
                if (strcmp(key, r->pattern) != 0 &&
                    (!alias ||
                     strcmp(json_object_get_string(alias), r->pattern) != 0)) {
                    printf("  %s %s is documented as %s without "
                           "x-hmdp-route-pattern naming it\n",
                           m, r->pattern, key);
                    CHECK(0);
                }
                if (jget(op, "x-hmdp-contract") ||
                    apidoc_pending_index(m, key) >= 0) {
                    printf("  %s %s is routed now: drop its x-hmdp-contract "
                           "and its apidoc_pending entry\n",
                           m, key);
                    CHECK(0);
                }
                const char *scheme = (r->flags & ROUTE_ADMIN)  ? "adminToken"
                                     : (r->flags & ROUTE_AUTH) ? "loginToken"
                                                               : NULL;
                if (!apidoc_security_is(op, scheme)) {
                    printf("  %s %s: security should be %s\n", m, key,
                           scheme ? scheme : "optional ({} listed)");
                    CHECK(0);
                }
                if (((r->flags & ROUTE_AUTH) &&
                     !apidoc_has_response(op, "401")) ||
                    ((r->flags & ROUTE_ADMIN) &&
                     !apidoc_has_response(op, "403"))) {
                    printf("  %s %s: no 401/403 answer for its gate\n", m, key);
                    CHECK(0);
                }
            }
        }
    }
    CHECK(routes > 30);
}

static void
test_every_documented_path_is_routed(void)
{
    char *nginx = NULL;
    FILE *f = fopen("conf/nginx.conf.in", "r");
    CHECK(f != NULL);
    if (f) {
        nginx = calloc(1, 1 << 20);
        if (nginx)
            (void)!fread(nginx, 1, (1 << 20) - 1, f);
        fclose(f);
    }
    int ops = 0;
    json_object_object_foreach(jget(doc, "paths"), path, item)
    {
        json_object_object_foreach(item, method, op)
        {
            ops++;
            struct json_object *by = jget(op, "x-hmdp-served-by");
            int pend = apidoc_pending_index(method, path);
            if (by) {
                /* another process behind its own nginx location */
                char loc[300];
                snprintf(loc, sizeof(loc), "location = /api%s {", path);
                if (!nginx || !strstr(nginx, loc)) {
                    printf("  %s %s is served by %s, but conf/nginx.conf.in "
                           "has no \"%s\"\n",
                           method, path, json_object_get_string(by), loc);
                    CHECK(0);
                }
                continue;
            }
            if (apidoc_routed(method, path))
                continue;
            if (pend >= 0 && jget(op, "x-hmdp-contract"))
                continue; /* added by contract, routed when it lands */
            if (pend >= 0)
                printf("  %s %s is pending (%s) but lacks x-hmdp-contract\n",
                       method, path, apidoc_pending[pend].issue);
            else
                printf("  %s %s is in conf/openapi.json but not routed\n",
                       method, path);
            CHECK(0);
        }
    }
    CHECK(ops > 40);
    /* and every pending entry is in the document */
    for (size_t i = 0; apidoc_pending[i].method; i++) {
        struct json_object *op =
            jget(jget(jget(doc, "paths"), apidoc_pending[i].path),
                 apidoc_pending[i].method);
        if (!op)
            printf("  pending %s %s (%s) is missing from the document\n",
                   apidoc_pending[i].method, apidoc_pending[i].path,
                   apidoc_pending[i].issue);
        CHECK(op != NULL);
    }
    free(nginx);
}

/* Counts object schemas under o that list properties without
 * additionalProperties false and a required array (printing where). */
static int
apidoc_loose(struct json_object *o, const char *where)
{
    int bad = 0;
    if (json_object_is_type(o, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(o); i++)
            bad += apidoc_loose(json_object_array_get_idx(o, i), where);
        return bad;
    }
    if (!json_object_is_type(o, json_type_object))
        return 0;
    struct json_object *props = jget(o, "properties");
    if (props && json_object_is_type(props, json_type_object)) {
        struct json_object *ap = jget(o, "additionalProperties");
        struct json_object *req = jget(o, "required");
        if (!ap || json_object_get_type(ap) != json_type_boolean ||
            json_object_get_boolean(ap) ||
            !json_object_is_type(req, json_type_array)) {
            printf("  %s: an object schema without additionalProperties "
                   "false and required\n",
                   where);
            bad++;
        }
        json_object_object_foreach(props, k, v)
        {
            (void)k;
            bad += apidoc_loose(v, where);
        }
    }
    json_object_object_foreach(o, k, v)
    {
        if (strcmp(k, "properties") != 0)
            bad += apidoc_loose(v, where);
    }
    return bad;
}

static void
test_answer_schemas_are_strict(void)
{
    int schemas = 0;
    json_object_object_foreach(jget(jget(doc, "components"), "schemas"), name,
                               s)
    {
        size_t n = strlen(name);
        /* request bodies may be open: the server ignores unknown fields */
        if ((n > 4 && strcmp(name + n - 4, "Form") == 0) ||
            (n > 7 && strcmp(name + n - 7, "Request") == 0))
            continue;
        schemas++;
        char where[128];
        snprintf(where, sizeof(where), "components.schemas.%s", name);
        if (jget(s, "properties") == NULL) {
            /* an open shape only for a contract route still to land */
            struct json_object *ap = jget(s, "additionalProperties");
            const char *d = json_object_get_string(jget(s, "description"));
            if (ap && json_object_get_boolean(ap) &&
                !(d && strstr(d, "Added by contract"))) {
                printf("  %s: open object outside a contract route\n", where);
                CHECK(0);
            }
            continue;
        }
        CHECK(apidoc_loose(s, where) == 0);
    }
    CHECK(schemas > 10);
    json_object_object_foreach(jget(doc, "paths"), path, item)
    {
        json_object_object_foreach(item, method, op)
        {
            char where[300];
            snprintf(where, sizeof(where), "%s %s responses", method, path);
            CHECK(apidoc_loose(jget(op, "responses"), where) == 0);
            CHECK(apidoc_has_response(op, "200"));
            CHECK(apidoc_has_response(op, "503"));
        }
    }
}

static void
test_document_header(void)
{
    const char *v = json_object_get_string(jget(doc, "openapi"));
    CHECK(v && strncmp(v, "3.", 2) == 0);
    struct json_object *servers = jget(doc, "servers");
    CHECK(servers && json_object_array_length(servers) == 1);
    CHECK_STR(json_object_get_string(
                  jget(json_object_array_get_idx(servers, 0), "url")),
              "/api");
    struct json_object *sch = jget(jget(doc, "components"), "securitySchemes");
    CHECK_STR(json_object_get_string(jget(jget(sch, "loginToken"), "name")),
              "authorization");
    CHECK_STR(json_object_get_string(jget(jget(sch, "adminToken"), "name")),
              "X-Admin-Token");
    struct json_object *env =
        jget(jget(jget(doc, "components"), "schemas"), "ErrorEnvelope");
    CHECK(jget(jget(env, "properties"), "errorMsg") != NULL);
}

int
main(void)
{
    /* the runner starts in the repo root; HMDP_REPO when run elsewhere */
    const char *repo = getenv("HMDP_REPO");
    if (repo && *repo && chdir(repo) != 0)
        perror(repo);
    doc = json_object_from_file("conf/openapi.json");
    if (doc == NULL) {
        printf("not ok - conf/openapi.json is missing or not JSON: %s\n",
               json_util_get_last_err());
        printf("0 passed, 1 failed\n");
        return 1;
    }
    RUN(test_document_header);
    RUN(test_every_route_is_documented);
    RUN(test_every_documented_path_is_routed);
    RUN(test_answer_schemas_are_strict);
    json_object_put(doc);
    T_DONE();
}
