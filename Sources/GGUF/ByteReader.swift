/// A bounds-checked little-endian cursor over the file's bytes. Every read checks the remaining
/// length first, so a truncated or lying file throws instead of reading past the end.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    func need(_ n: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
        guard n <= remaining else { throw .truncated(offset: offset, needed: n - remaining, what: what()) }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
        try need(MemoryLayout<T>.size, what())
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    /// Reads a u64 element count and checks that the bytes left could hold that many elements of at
    /// least `minBytes` each, so callers may allocate `count` elements without trusting the file.
    mutating func readCount(minBytes: Int, _ what: @autoclosure () -> String) throws(GGUFError) -> Int {
        let start = offset
        let count = try read(UInt64.self, what())
        guard count <= UInt64(remaining / minBytes) else { throw .countTooLarge(what: what(), count: count, offset: start) }
        return Int(count)
    }

    /// Reads a u64 byte length and checks it against the bytes left.
    mutating func readLength(_ what: @autoclosure () -> String) throws(GGUFError) -> Int {
        let start = offset
        let length = try read(UInt64.self, what())
        guard length <= UInt64(remaining) else {
            throw .stringTooLong(what: what(), length: length, offset: start, available: remaining)
        }
        return Int(length)
    }

    /// `n` bytes (already checked by `readLength`) as a string; invalid UTF-8 is repaired with U+FFFD,
    /// as real vocabularies hold byte fragments that are not valid UTF-8 on their own.
    mutating func readUTF8(count n: Int) -> String {
        let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + n]), as: UTF8.self)
        offset += n
        return s
    }

    /// A u64 length followed by that many UTF-8 bytes.
    mutating func readString(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let n = try readLength(what())
        return readUTF8(count: n)
    }

    /// Reads `n` little-endian values (the caller has checked `n` against the bytes left via `readCount`).
    mutating func readArray<T: FixedWidthInteger>(_: T.Type, count n: Int, _ what: @autoclosure () -> String) throws(GGUFError) -> [T] {
        let size = MemoryLayout<T>.size
        try need(n * size, what())
        let base = offset
        offset += n * size
        return [T](unsafeUninitializedCapacity: n) { buf, initialized in
            for i in 0 ..< n { buf[i] = T(littleEndian: bytes.loadUnaligned(fromByteOffset: base + i * size, as: T.self)) }
            initialized = n
        }
    }

    mutating func skip(to newOffset: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
        try need(newOffset - offset, what())
        offset = newOffset
    }
}
