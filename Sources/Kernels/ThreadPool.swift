import CBLAS
import CKernels
import Foundation

/// Persistent worker threads for the heavy kernels (matrix products, attention): created once,
/// they spin briefly and then sleep between jobs (see pool.c). One forward pass at a time uses a
/// pool; the caller's thread is worker 0.
public final class ThreadPool: @unchecked Sendable {
    let raw: OpaquePointer
    public let threads: Int

    /// The machine's active core count, the default for `--threads`.
    public static var defaultThreadCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Spawns `threads - 1` workers. OpenBLAS is set to one thread: its only remaining callers run
    /// inside this pool's jobs or between them, and two pools on the same cores would oversubscribe.
    public init(threads: Int = ThreadPool.defaultThreadCount) throws(KernelError) {
        guard threads >= 1, let p = swiftlet_pool_create(Int32(threads)) else { throw .threadPool(threads: threads) }
        raw = p
        self.threads = threads
        openblas_set_num_threads(1)
    }

    deinit { swiftlet_pool_destroy(raw) }
}

/// The SIMD kernel family the C kernels use; `best` is what this CPU runs fastest. Tests force the
/// others to check every path against the reference.
public enum KernelISA: Int32, Sendable, CaseIterable {
    case portable = 0
    case avx2 = 1
    case avxvnni = 2
    case avx512 = 3

    public static let best = KernelISA(rawValue: swiftlet_isa_best()) ?? .portable
    public var isAvailable: Bool { swiftlet_isa_available(rawValue) != 0 }
}
