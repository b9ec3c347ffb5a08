/*
 * arena.c: per-request memory. Blocks form a singly linked list; the first
 * block is kept across resets so a steady-state request does no malloc.
 * Cleanups are a linked list allocated from the arena itself and run LIFO.
 *
 * An arena given a budget with arena_keep() also keeps the other blocks
 * (up to that many bytes) on a spare list at reset, and takes a block from
 * there before it mallocs: a process that handles one large batch after
 * another (a stream consumer) then reuses the same warm memory instead of
 * having the heap grown, trimmed and its pages faulted in again per batch.
 */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 16384
#define ARENA_ALIGN 16

struct arena_block {
    struct arena_block *next;
    size_t size, used;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena_cleanup {
    struct arena_cleanup *next;
    arena_cleanup_fn fn;
    void *p;
};

struct arena {
    struct arena_block *head; /* current block; first is kept on reset */
    struct arena_block *first;
    /* kept at reset (arena_keep), unused: blocks of ARENA_BLOCK bytes
     * (taken in O(1)) and the larger ones of single big allocations */
    struct arena_block *spare, *spare_big;
    struct arena_cleanup *cleanups;
    size_t used;
    size_t keep, kept; /* the spare list's budget and size (bytes) */
#ifdef ARENA_DEBUG
    void **dbg;
    size_t ndbg, capdbg;
#endif
};

static void *
arena_xmalloc(size_t n)
{
    void *p = malloc(n);
    if (p == NULL) {
        fprintf(stderr, "arena: out of memory (%zu bytes)\n", n);
        abort();
    }
    return p;
}

static struct arena_block *
arena_block_new(size_t min)
{
    size_t size = min > ARENA_BLOCK ? min : ARENA_BLOCK;
    struct arena_block *b = arena_xmalloc(sizeof(*b) + size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

struct arena *
arena_new(void)
{
    struct arena *a = arena_xmalloc(sizeof(*a));
    memset(a, 0, sizeof(*a));
    a->first = a->head = arena_block_new(ARENA_BLOCK);
    return a;
}

void
arena_reset(struct arena *a)
{
    while (a->cleanups) {
        struct arena_cleanup *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->p);
    }
#ifdef ARENA_DEBUG
    for (size_t i = 0; i < a->ndbg; i++)
        free(a->dbg[i]);
    a->ndbg = 0;
#endif
    struct arena_block *b = a->first->next;
    while (b) {
        struct arena_block *next = b->next;
        if (a->kept + b->size <= a->keep) {
            struct arena_block **list =
                b->size == ARENA_BLOCK ? &a->spare : &a->spare_big;
            b->used = 0;
            b->next = *list;
            *list = b;
            a->kept += b->size;
        } else {
            free(b);
        }
        b = next;
    }
    a->first->next = NULL;
    a->first->used = 0;
    a->head = a->first;
    a->used = 0;
}

void
arena_free(struct arena *a)
{
    if (a == NULL)
        return;
    arena_reset(a);
#ifdef ARENA_DEBUG
    free(a->dbg);
#endif
    arena_keep(a, 0);
    free(a->first);
    free(a);
}

void
arena_keep(struct arena *a, size_t bytes)
{
    a->keep = bytes;
    /* over the new budget: the big blocks go first */
    while (a->kept > a->keep) {
        struct arena_block **list = a->spare_big ? &a->spare_big : &a->spare;
        struct arena_block *b = *list;
        *list = b->next;
        a->kept -= b->size;
        free(b);
    }
}

#ifndef ARENA_DEBUG
/* A block of at least need bytes: a spare one that fits (for a big
 * allocation the smallest such), else a new one. */
static struct arena_block *
arena_block_take(struct arena *a, size_t need)
{
    struct arena_block **fit = NULL;
    if (need <= ARENA_BLOCK && a->spare) {
        fit = &a->spare;
    } else {
        for (struct arena_block **p = &a->spare_big; *p; p = &(*p)->next)
            if ((*p)->size >= need &&
                (fit == NULL || (*p)->size < (*fit)->size))
                fit = p;
    }
    if (fit == NULL)
        return arena_block_new(need);
    struct arena_block *b = *fit;
    *fit = b->next;
    a->kept -= b->size;
    b->next = NULL;
    return b;
}
#endif

void *
arena_alloc(struct arena *a, size_t n)
{
    if (n == 0)
        n = 1;
    a->used += n;
#ifdef ARENA_DEBUG
    if (a->ndbg == a->capdbg) {
        a->capdbg = a->capdbg ? a->capdbg * 2 : 64;
        void **nd = realloc(a->dbg, a->capdbg * sizeof(*nd));
        if (nd == NULL)
            abort();
        a->dbg = nd;
    }
    void *p = arena_xmalloc(n);
    a->dbg[a->ndbg++] = p;
    return p;
#else
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    struct arena_block *b = a->head;
    if (b->size - b->used < need) {
        struct arena_block *nb = arena_block_take(a, need);
        nb->next = b->next;
        b->next = nb;
        a->head = nb;
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += need;
    return p;
#endif
}

void *
arena_calloc(struct arena *a, size_t n)
{
    void *p = arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *
arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        n = 0;
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

void
arena_defer(struct arena *a, arena_cleanup_fn fn, void *p)
{
    struct arena_cleanup *c = arena_alloc(a, sizeof(*c));
    c->fn = fn;
    c->p = p;
    c->next = a->cleanups;
    a->cleanups = c;
}

size_t
arena_used(const struct arena *a)
{
    return a->used;
}
