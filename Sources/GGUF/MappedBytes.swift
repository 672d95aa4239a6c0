#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Read-only bytes of a model file: memory-mapped from disk (weights are never copied), or owned in
/// memory (tests and fuzzing build files in memory). Immutable after init, hence `Sendable`.
public final class MappedBytes: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    private let isMapped: Bool

    /// Maps `path` read-only.
    public init(path: String) throws(GGUFError) {
        // O_NONBLOCK: opening a FIFO by mistake must fail the regular-file check below, not hang.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .cannotOpen(path: path, reason: "not a regular file") }
        let size = Int(st.st_size)
        if size == 0 {
            // mmap rejects a zero length; an empty file is simply too short to be GGUF.
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            isMapped = false
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw .cannotOpen(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: p, count: size)
        isMapped = true
    }

    /// Copies `data` into memory owned by this object.
    public init(copying data: some Collection<UInt8>) {
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: 64)
        _ = UnsafeMutableRawBufferPointer(rebasing: p[0 ..< data.count]).initializeMemory(as: UInt8.self, from: data)
        bytes = UnsafeRawBufferPointer(start: p.baseAddress, count: data.count)
        isMapped = false
    }

    deinit {
        guard let base = bytes.baseAddress else { return }
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        } else {
            base.deallocate()
        }
    }
}
