/// A bounds-checked little-endian cursor over the file's bytes. Every read checks the remaining
/// length first, so a truncated or lying file throws `.truncated` instead of reading past the end.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func need(_ n: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
        guard n >= 0, n <= remaining else {
            throw .truncated(offset: offset, needed: n - remaining, what: what())
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
        try need(MemoryLayout<T>.size, what())
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws(GGUFError) -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws(GGUFError) -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// A u64 length followed by that many UTF-8 bytes. The length is checked against the bytes left
    /// before anything is allocated.
    mutating func readString(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let start = offset
        let len = try read(UInt64.self, what())
        guard len <= UInt64(remaining) else {
            offset = start
            throw .truncated(offset: start, needed: len > UInt64(Int.max) ? Int.max : Int(len) - remaining, what: what())
        }
        let n = Int(len)
        let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + n]), as: UTF8.self)
        offset += n
        return s
    }

    mutating func skip(to newOffset: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
        guard newOffset >= offset, newOffset <= bytes.count else {
            throw .truncated(offset: offset, needed: newOffset - bytes.count, what: what())
        }
        offset = newOffset
    }
}
