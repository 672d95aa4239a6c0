#ifndef SWIFTLET_CK_POOL_H
#define SWIFTLET_CK_POOL_H
// A persistent worker pool: threads are created once and wait between jobs by spinning briefly,
// then sleeping. `swiftlet_pool_run` runs one job on every thread (the caller is thread 0) and
// returns when all have finished; jobs split their own work (see the atomic chunk counter below).
#include <stdint.h>

typedef struct swiftlet_pool swiftlet_pool;

/// A job body: called once on each of `nthreads` threads with its index.
typedef void (*swiftlet_job_fn)(void *ctx, int thread, int nthreads);

/// Creates a pool of `threads` threads (the caller counts as one, so `threads - 1` are spawned).
/// Returns NULL if a thread cannot be created.
swiftlet_pool *swiftlet_pool_create(int threads);
void swiftlet_pool_destroy(swiftlet_pool *pool);
int swiftlet_pool_threads(const swiftlet_pool *pool);

/// Runs `fn(ctx, i, n)` on the caller (i = 0) and on each worker that is free to join while the
/// caller runs its share (i ≥ 1), and returns when all of them are done. A job must therefore split
/// its work dynamically (atomic counters) so that any subset of threads completes it.
/// Not reentrant: one caller at a time.
void swiftlet_pool_run(swiftlet_pool *pool, swiftlet_job_fn fn, void *ctx);

#endif
