/*
 * test_compose.c: docker/ without a Docker engine (none runs on our
 * machines): Debian's docker-compose validates docker/docker-compose.yml
 * (`config`, which needs no engine) and the checks below read what it
 * resolved: each service of the split deployment is there with a restart
 * policy and a health check (nginx's and the pool's on /health), every
 * daemon the build makes has its service, and the Dockerfile is the
 * multi-stage bookworm one. A broken copy of the file must be refused,
 * so the validation itself can fail.
 */
#include "h.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char repo[1024];

/* Output of a shell command (malloc'd) and its exit status. */
static char *
run(const char *cmd, int *status)
{
    FILE *p = popen(cmd, "r");
    if (p == NULL) {
        *status = -1;
        return strdup("");
    }
    size_t cap = 1 << 20, n = 0, k;
    char *buf = calloc(1, cap);
    while (buf && n < cap - 1 && (k = fread(buf + n, 1, cap - 1 - n, p)) > 0)
        n += k;
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return buf;
}

static char *config;   /* docker-compose config, resolved */
static char *services; /* config --services */

static void
test_config_valid(void)
{
    char cmd[2048];
    int st;
    snprintf(cmd, sizeof(cmd),
             "cd %s/docker && docker-compose -f docker-compose.yml config "
             "2>&1",
             repo);
    config = run(cmd, &st);
    if (st != 0)
        printf("  docker-compose config: %.600s\n", config);
    CHECK(st == 0);
    snprintf(cmd, sizeof(cmd),
             "cd %s/docker && docker-compose -f docker-compose.yml "
             "--profile allinone config --services 2>&1",
             repo);
    services = run(cmd, &st);
    CHECK(st == 0);
}

/* The block of one service in the resolved config: from "  NAME:" to
 * the next line indented two spaces (or the end of services). */
static char *
service_block(const char *name)
{
    char head[128];
    snprintf(head, sizeof(head), "\n  %s:\n", name);
    const char *p = strstr(config, head);
    if (p == NULL)
        return NULL;
    p += strlen(head);
    const char *e = p;
    while ((e = strchr(e, '\n')) != NULL) {
        e++;
        if (!(e[0] == ' ' && e[1] == ' ' && e[2] == ' '))
            break;
    }
    size_t n = e ? (size_t)(e - p) : strlen(p);
    char *b = malloc(n + 1);
    memcpy(b, p, n);
    b[n] = '\0';
    return b;
}

static void
test_services(void)
{
    static const char *const names[] = {
        "mysql", "redis", "fcgi", "voucher-consumer", "nginx", "hmdp"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char line[64];
        snprintf(line, sizeof(line), "%s\n", names[i]);
        CHECK(services && strstr(services, line) != NULL);
        char *b = service_block(names[i]);
        if (b == NULL) {
            printf("  no service %s\n", names[i]);
            CHECK(0);
            continue;
        }
        if (!strstr(b, "restart: unless-stopped") || !strstr(b, "healthcheck:"))
            printf("  service %s lacks a restart policy or health check\n",
                   names[i]);
        CHECK(strstr(b, "restart: unless-stopped") != NULL);
        CHECK(strstr(b, "healthcheck:") != NULL);
        if (strcmp(names[i], "nginx") == 0 || strcmp(names[i], "hmdp") == 0)
            CHECK(strstr(b, "/api/health") != NULL);
        if (strcmp(names[i], "fcgi") == 0) {
            CHECK(strstr(b, "health-fcgi") != NULL);
            CHECK(strstr(b, "HMDP_HEALTH_EXPECT") != NULL);
        }
        if (strcmp(names[i], "redis") == 0)
            CHECK(strstr(b, "- redis-data:/data") != NULL ||
                  strstr(b, "source: redis-data") != NULL);
        if (strcmp(names[i], "mysql") == 0)
            CHECK(strstr(b, "mysql-data") != NULL);
        free(b);
    }
}

/* Every daemon the Makefile builds (hmdp-*-consumer, hmdp-sse) runs as a
 * service of its own, is expected by the pool's health check and checks
 * its own heartbeat. */
static void
test_every_daemon_has_a_service(void)
{
    char dir[1100];
    snprintf(dir, sizeof(dir), "%s/build/test", repo);
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    struct dirent *e;
    int daemons = 0;
    char *fcgi = service_block("fcgi");
    while (d && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        int consumer = strncmp(e->d_name, "hmdp-", 5) == 0 && n > 9 &&
                       strcmp(e->d_name + n - 9, "-consumer") == 0;
        if (!consumer && strcmp(e->d_name, "hmdp-sse") != 0)
            continue;
        daemons++;
        const char *svc = e->d_name + 5; /* voucher-consumer, sse */
        char *b = service_block(svc);
        char want[300];
        snprintf(want, sizeof(want), "health-daemon\n      - %s", e->d_name);
        if (b == NULL || !strstr(b, want))
            printf("  %s: no service %s checking its heartbeat\n", e->d_name,
                   svc);
        CHECK(b != NULL && strstr(b, want) != NULL);
        CHECK(fcgi && strstr(fcgi, svc) != NULL);
        free(b);
    }
    if (d)
        closedir(d);
    free(fcgi);
    CHECK(daemons >= 1);
}

static void
test_dockerfile(void)
{
    char cmd[2048];
    int st;
    snprintf(cmd, sizeof(cmd), "grep -E '^FROM ' %s/docker/Dockerfile", repo);
    char *from = run(cmd, &st);
    CHECK(strstr(from, "FROM debian:bookworm AS build") != NULL);
    CHECK(strstr(from, "FROM debian:bookworm-slim") != NULL);
    free(from);
    snprintf(cmd, sizeof(cmd), "bash -n %s/docker/role.sh 2>&1", repo);
    free(run(cmd, &st));
    CHECK(st == 0);
}

/* The nginx container's config: docker/role.sh fills every placeholder
 * of conf/nginx.conf.in (listening on all interfaces, the compose
 * addresses, the metrics networks) and nginx accepts the result. */
static void
test_nginx_conf(void)
{
    char cmd[4096];
    int st;
    snprintf(cmd, sizeof(cmd),
             "t=$(mktemp -d) && export PATH=$PATH:/usr/sbin && "
             "HMDP_DATA=$t HMDP_FCGI_ADDR=127.0.0.1:9 "
             "HMDP_SSE_ADDR=127.0.0.1:9 HMDP_METRICS_ALLOW='10.0.0.0/8 "
             "192.168.1.5' bash %s/docker/role.sh nginx-conf && "
             "! grep -n '@[A-Z_]*@' $t/nginx.conf && "
             "grep -q 'listen 8080;' $t/nginx.conf && "
             "grep -q 'allow 10.0.0.0/8; allow 192.168.1.5;' $t/nginx.conf && "
             "test -s $t/pages/message.html && "
             "nginx -t -q -p $t/ -c $t/nginx.conf -e $t/err.log 2>&1; "
             "r=$?; rm -rf $t; exit $r",
             repo);
    char *out = run(cmd, &st);
    if (st != 0)
        printf("  role.sh nginx-conf / nginx -t: %.600s\n", out);
    CHECK(st == 0);
    free(out);
}

/* The validation can fail: a copy with an unknown key is refused. */
static void
test_broken_file_refused(void)
{
    char cmd[4096];
    int st;
    snprintf(cmd, sizeof(cmd),
             "t=$(mktemp -d) && sed 's/^    restart: unless-stopped/    "
             "restart: unless-stopped\\n    no_such_key: 1/' "
             "%s/docker/docker-compose.yml >$t/docker-compose.yml && "
             "cd $t && docker-compose config -q 2>&1; r=$?; rm -rf $t; "
             "exit $r",
             repo);
    char *out = run(cmd, &st);
    CHECK(st != 0);
    free(out);
}

int
main(void)
{
    h_init();
    const char *r = getenv("HMDP_REPO");
    snprintf(repo, sizeof(repo), "%s", r ? r : ".");
    int st;
    free(run("command -v docker-compose", &st));
    if (st != 0) {
        printf("not ok - docker-compose is not installed (tests/deps.sh)\n");
        printf("0 passed, 1 failed\n");
        return 1;
    }
    RUN(test_config_valid);
    RUN(test_services);
    RUN(test_every_daemon_has_a_service);
    RUN(test_dockerfile);
    RUN(test_nginx_conf);
    RUN(test_broken_file_refused);
    free(config);
    free(services);
    T_DONE();
}
