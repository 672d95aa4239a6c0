// Persistent worker pool with a spin-then-sleep start signal and a spinning completion barrier.
//
// Why not Swift concurrency or a lock per job: a decode step issues a few hundred short parallel
// ops (each 10-200 µs), so the hand-off must cost well under a microsecond. Workers spin on a job
// generation counter for a while after each job (the next op usually arrives within microseconds)
// and only then sleep on a condition variable; the mutex is touched only to go to sleep or to wake
// sleepers, never while the pool is busy.
#include "ck_pool.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpu_relax(void) { _mm_pause(); }
#elif defined(__aarch64__)
static inline void cpu_relax(void) { __asm__ volatile("yield"); }
#else
static inline void cpu_relax(void) {}
#endif

// Spin iterations (each a pause, ~20 ns) before a waiting thread sleeps: some tens of µs, longer
// than the gap between the ops of a forward pass, short enough that a thread waiting for a
// descheduled peer on a busy machine soon gives its core back.
#define SPIN_LIMIT 2000

struct swiftlet_pool {
    int nthreads;
    pthread_t *threads;
    _Atomic uint64_t generation;   // bumped once per job
    _Atomic int pending;           // workers still running the current job
    _Atomic int sleepers;          // workers blocked on `wake`
    _Atomic int callerSleeping;    // the caller is blocked on `done`
    _Atomic int stop;
    swiftlet_job_fn fn;            // written before `generation` is bumped (release)
    void *ctx;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    pthread_cond_t done;
};

typedef struct { swiftlet_pool *pool; int index; } worker_arg;

static void *worker_main(void *p) {
    worker_arg arg = *(worker_arg *)p;
    free(p);
    swiftlet_pool *pool = arg.pool;
    uint64_t seen = 0;
    for (;;) {
        uint64_t g;
        int spins = 0;
        while ((g = atomic_load_explicit(&pool->generation, memory_order_acquire)) == seen) {
            if (++spins < SPIN_LIMIT) { cpu_relax(); continue; }
            pthread_mutex_lock(&pool->mutex);
            atomic_fetch_add(&pool->sleepers, 1);
            while (atomic_load(&pool->generation) == seen && !atomic_load(&pool->stop))
                pthread_cond_wait(&pool->wake, &pool->mutex);
            atomic_fetch_sub(&pool->sleepers, 1);
            pthread_mutex_unlock(&pool->mutex);
            spins = 0;
        }
        seen = g;
        if (atomic_load(&pool->stop)) return NULL;
        pool->fn(pool->ctx, arg.index, pool->nthreads);
        if (atomic_fetch_sub(&pool->pending, 1) == 1 && atomic_load(&pool->callerSleeping)) {
            pthread_mutex_lock(&pool->mutex);
            pthread_cond_signal(&pool->done);
            pthread_mutex_unlock(&pool->mutex);
        }
    }
}

swiftlet_pool *swiftlet_pool_create(int threads) {
    if (threads < 1) threads = 1;
    swiftlet_pool *pool = calloc(1, sizeof *pool);
    if (!pool) return NULL;
    pool->nthreads = threads;
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->done, NULL);
    pool->threads = calloc((size_t)threads, sizeof(pthread_t));
    if (!pool->threads) { free(pool); return NULL; }
    for (int i = 1; i < threads; i++) {
        worker_arg *arg = malloc(sizeof *arg);
        if (!arg) { pool->nthreads = i; swiftlet_pool_destroy(pool); return NULL; }
        arg->pool = pool;
        arg->index = i;
        if (pthread_create(&pool->threads[i], NULL, worker_main, arg) != 0) {
            free(arg);
            pool->nthreads = i;
            swiftlet_pool_destroy(pool);
            return NULL;
        }
    }
    return pool;
}

void swiftlet_pool_destroy(swiftlet_pool *pool) {
    if (!pool) return;
    pthread_mutex_lock(&pool->mutex);
    atomic_store(&pool->stop, 1);
    atomic_fetch_add(&pool->generation, 1);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    for (int i = 1; i < pool->nthreads; i++) pthread_join(pool->threads[i], NULL);
    pthread_cond_destroy(&pool->wake);
    pthread_cond_destroy(&pool->done);
    pthread_mutex_destroy(&pool->mutex);
    free(pool->threads);
    free(pool);
}

int swiftlet_pool_threads(const swiftlet_pool *pool) { return pool->nthreads; }

void swiftlet_pool_run(swiftlet_pool *pool, swiftlet_job_fn fn, void *ctx) {
    if (pool->nthreads == 1) { fn(ctx, 0, 1); return; }
    pool->fn = fn;
    pool->ctx = ctx;
    atomic_store_explicit(&pool->pending, pool->nthreads - 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
    if (atomic_load(&pool->sleepers) > 0) {
        pthread_mutex_lock(&pool->mutex);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->mutex);
    }
    fn(ctx, 0, pool->nthreads);
    for (int spins = 0; atomic_load_explicit(&pool->pending, memory_order_acquire) > 0; spins++) {
        if (spins < SPIN_LIMIT) { cpu_relax(); continue; }
        pthread_mutex_lock(&pool->mutex);
        atomic_store(&pool->callerSleeping, 1);
        while (atomic_load(&pool->pending) > 0) pthread_cond_wait(&pool->done, &pool->mutex);
        atomic_store(&pool->callerSleeping, 0);
        pthread_mutex_unlock(&pool->mutex);
    }
}
