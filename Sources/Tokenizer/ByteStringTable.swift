#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An immutable set of byte strings with dense ids, looked up by raw bytes without allocating.
///
/// Keys are compared byte for byte. (A `[String: Int32]` dictionary would compare by Unicode
/// canonical equivalence, which would merge distinct vocab entries such as precomposed "é" and
/// "e" + U+0301.) All strings live in one flat buffer; the index is open addressing with linear
/// probing over a power-of-two slot array holding ids (-1 = empty). The buffers are raw
/// allocations so that lookups (the tokenizers' innermost operation) are plain pointer loops.
/// Never mutated after init, hence `Sendable`.
final class ByteStringTable: @unchecked Sendable {
    /// Concatenated bytes of every string, in id order.
    private let storage: UnsafeMutableBufferPointer<UInt8>
    /// `offsets[id] ..< offsets[id + 1]` is string `id` in `storage`. [count + 1]
    private let offsets: UnsafeMutableBufferPointer<Int>
    /// [capacity], capacity a power of two ≥ 2 × count.
    private let slots: UnsafeMutableBufferPointer<Int32>
    private let mask: Int

    let count: Int

    /// Builds the table; `strings[i]` gets id `i`. For duplicates the first id wins.
    init(_ strings: [[UInt8]]) {
        count = strings.count
        var total = 0
        for s in strings { total += s.count }
        storage = .allocate(capacity: max(total, 1))
        offsets = .allocate(capacity: strings.count + 1)
        var capacity = 16
        while capacity < strings.count * 2 { capacity <<= 1 }
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: -1)
        mask = capacity - 1
        var end = 0
        offsets[0] = 0
        for (id, s) in strings.enumerated() {
            s.withUnsafeBufferPointer { src in
                if let base = src.baseAddress, let dst = storage.baseAddress { (dst + end).update(from: base, count: src.count) }
            }
            end += s.count
            offsets[id + 1] = end
        }
        for id in 0 ..< strings.count {
            let key = string(id)
            var slot = Self.hash(key) & mask
            while slots[slot] >= 0, !Self.equal(key, string(Int(slots[slot]))) { slot = (slot + 1) & mask }
            if slots[slot] < 0 { slots[slot] = Int32(id) }
        }
    }

    deinit {
        storage.deallocate()
        offsets.deallocate()
        slots.deallocate()
    }

    /// The id of `key`, or nil.
    func id(of key: UnsafeBufferPointer<UInt8>) -> Int32? {
        var slot = Self.hash(key) & mask
        while true {
            let id = slots[slot]
            if id < 0 { return nil }
            if Self.equal(key, string(Int(id))) { return id }
            slot = (slot + 1) & mask
        }
    }

    func id(of key: [UInt8]) -> Int32? {
        key.withUnsafeBufferPointer { id(of: $0) }
    }

    /// The bytes of string `id` (valid as long as the table lives).
    @inline(__always)
    func string(_ id: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: storage.baseAddress.map { $0 + offsets[id] }, count: offsets[id + 1] - offsets[id])
    }

    /// FNV-1a: short keys (tokens average a few bytes), so a simple byte loop is fastest.
    @inline(__always)
    private static func hash(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        guard let p = key.baseAddress else { return Int(truncatingIfNeeded: h) }
        var i = 0
        while i < key.count {
            h = (h ^ UInt64(p[i])) &* 0x100_0000_01b3
            i += 1
        }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    @inline(__always)
    private static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return true }
        return memcmp(pa, pb, a.count) == 0
    }
}
