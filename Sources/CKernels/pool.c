// Persistent worker pool with a spin-then-sleep start signal and late joining.
//
// Why not Swift concurrency or a lock per job: a decode step issues a few hundred short parallel
// ops (each 5-200 µs), so the hand-off must cost well under a microsecond. Workers spin on the job
// state for a while after each job (the next op usually arrives within microseconds) and only then
// sleep on a condition variable; the mutex is touched only to go to sleep or to wake sleepers.
//
// Jobs hand out their work through atomic counters, so the caller can finish a job alone. A worker
// that is descheduled (the machine is shared) therefore must not hold the caller up: it joins a job
// only while the job is open, and the caller closes the job when its own share is done and then
// waits just for the workers that did join.
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

// Job state word: generation << 16 | OPEN | number of workers inside the job.
#define OPEN ((uint64_t)1 << 15)
#define ACTIVE_MASK ((uint64_t)OPEN - 1)
static inline uint64_t generation_of(uint64_t s) { return s >> 16; }

struct swiftlet_pool {
    int nthreads;
    pthread_t *threads;
    _Atomic uint64_t state;
    _Atomic int sleepers;          // workers blocked on `wake`
    _Atomic int callerSleeping;    // the caller is blocked on `done`
    _Atomic int stop;
    swiftlet_job_fn fn;            // written before the state's generation changes (seq_cst)
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
    uint64_t seen = 0;   // last generation this worker looked at
    for (;;) {
        uint64_t s;
        int spins = 0;
        while (generation_of(s = atomic_load(&pool->state)) == seen && !atomic_load(&pool->stop)) {
            if (++spins < SPIN_LIMIT) { cpu_relax(); continue; }
            pthread_mutex_lock(&pool->mutex);
            atomic_fetch_add(&pool->sleepers, 1);
            while (generation_of(atomic_load(&pool->state)) == seen && !atomic_load(&pool->stop))
                pthread_cond_wait(&pool->wake, &pool->mutex);
            atomic_fetch_sub(&pool->sleepers, 1);
            pthread_mutex_unlock(&pool->mutex);
            spins = 0;
        }
        if (atomic_load(&pool->stop)) return NULL;
        seen = generation_of(s);
        // Join only the job of generation `seen`, and only while it is open.
        int joined = 0;
        while ((s & OPEN) && generation_of(s) == seen) {
            if (atomic_compare_exchange_weak(&pool->state, &s, s + 1)) { joined = 1; break; }
        }
        if (!joined) continue;
        pool->fn(pool->ctx, arg.index, pool->nthreads);
        const uint64_t after = atomic_fetch_sub(&pool->state, 1) - 1;
        if ((after & ACTIVE_MASK) == 0 && !(after & OPEN) && atomic_load(&pool->callerSleeping)) {
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
    pool->nthreads = 1;
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->done, NULL);
    pool->threads = calloc((size_t)threads, sizeof(pthread_t));
    if (!pool->threads) { swiftlet_pool_destroy(pool); return NULL; }
    for (int i = 1; i < threads; i++) {
        worker_arg *arg = malloc(sizeof *arg);
        if (!arg) { swiftlet_pool_destroy(pool); return NULL; }
        arg->pool = pool;
        arg->index = i;
        if (pthread_create(&pool->threads[i], NULL, worker_main, arg) != 0) {
            free(arg);
            swiftlet_pool_destroy(pool);
            return NULL;
        }
        pool->nthreads = i + 1;
    }
    return pool;
}

void swiftlet_pool_destroy(swiftlet_pool *pool) {
    if (!pool) return;
    pthread_mutex_lock(&pool->mutex);
    atomic_store(&pool->stop, 1);
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
    // No worker is inside a job here (the previous run waited for them), so the count is 0.
    const uint64_t gen = generation_of(atomic_load(&pool->state)) + 1;
    atomic_store(&pool->state, gen << 16 | OPEN);
    if (atomic_load(&pool->sleepers) > 0) {
        pthread_mutex_lock(&pool->mutex);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->mutex);
    }
    fn(ctx, 0, pool->nthreads);
    // Close the job; then wait for the workers that joined it.
    uint64_t s = atomic_fetch_and(&pool->state, ~OPEN) & ~OPEN;
    for (int spins = 0; (s & ACTIVE_MASK) != 0; spins++, s = atomic_load(&pool->state)) {
        if (spins < SPIN_LIMIT) { cpu_relax(); continue; }
        pthread_mutex_lock(&pool->mutex);
        atomic_store(&pool->callerSleeping, 1);
        while ((atomic_load(&pool->state) & ACTIVE_MASK) != 0) pthread_cond_wait(&pool->done, &pool->mutex);
        atomic_store(&pool->callerSleeping, 0);
        pthread_mutex_unlock(&pool->mutex);
        break;
    }
}
