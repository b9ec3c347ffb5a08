/*
 * arena.h: a bump allocator that owns everything one request allocates.
 *
 * arena_reset() runs the deferred cleanups in reverse order of registration
 * and then frees every block at once, so a handler never frees anything.
 * With -DARENA_DEBUG each allocation is its own malloc so ASan sees bounds.
 * Allocation failure aborts the process (multiwatch starts a new worker).
 */
#ifndef HMDP_ARENA_H
#define HMDP_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

typedef void (*arena_cleanup_fn)(void *);

/* Returns a new arena; arena_free() releases it and everything in it. */
struct arena *arena_new(void);
void arena_free(struct arena *a);

/* Runs cleanups (LIFO), frees all allocations; the arena stays usable. */
void arena_reset(struct arena *a);

/* From now on reset keeps up to bytes of the arena's blocks for reuse
 * instead of freeing them (default 0: only the first block is kept). For
 * a long-lived arena that handles one large unit of work after another;
 * a smaller budget frees what is over it at once. */
void arena_keep(struct arena *a, size_t bytes);

/* Returns n bytes aligned for any type, valid until the next reset. */
void *arena_alloc(struct arena *a, size_t n);
/* As arena_alloc, zero-filled. */
void *arena_calloc(struct arena *a, size_t n);
/* Copies n bytes of s and appends a NUL. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);

/* Registers fn(p) to run at the next reset; p is then owned by the arena. */
void arena_defer(struct arena *a, arena_cleanup_fn fn, void *p);

/* Bytes handed out since the last reset (for tests and logs). */
size_t arena_used(const struct arena *a);

#endif
