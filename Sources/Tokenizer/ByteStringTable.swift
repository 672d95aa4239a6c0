/// An immutable set of byte strings with dense ids, looked up by raw bytes without allocating.
///
/// Keys are compared byte for byte. (A `[String: Int32]` dictionary would compare by Unicode
/// canonical equivalence, which would merge distinct vocab entries such as precomposed "é" and
/// "e" + U+0301.) All strings live in one flat buffer; the index is open addressing with linear
/// probing over a power-of-two slot array holding ids (-1 = empty).
struct ByteStringTable: Sendable {
    /// Concatenated bytes of every string, in id order.
    private let storage: [UInt8]
    /// `offsets[id] ..< offsets[id + 1]` is string `id` in `storage`. [count + 1]
    private let offsets: [Int]
    /// [capacity], capacity a power of two ≥ 2 × count.
    private let slots: [Int32]
    private let mask: Int

    var count: Int { offsets.count - 1 }

    /// Builds the table; `strings[i]` gets id `i`. Returns the ids of duplicate strings (the first
    /// occurrence keeps its id) so callers can report them.
    init(_ strings: [[UInt8]]) {
        var storage = [UInt8]()
        storage.reserveCapacity(strings.reduce(0) { $0 + $1.count })
        var offsets = [Int]()
        offsets.reserveCapacity(strings.count + 1)
        offsets.append(0)
        for s in strings {
            storage.append(contentsOf: s)
            offsets.append(storage.count)
        }
        var capacity = 16
        while capacity < strings.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        storage.withUnsafeBufferPointer { all in
            for id in 0 ..< strings.count {
                let key = UnsafeBufferPointer(rebasing: all[offsets[id] ..< offsets[id + 1]])
                var slot = Self.hash(key) & mask
                while slots[slot] >= 0 {
                    let other = Int(slots[slot])
                    if Self.equal(key, UnsafeBufferPointer(rebasing: all[offsets[other] ..< offsets[other + 1]])) { break }
                    slot = (slot + 1) & mask
                }
                if slots[slot] < 0 { slots[slot] = Int32(id) }
            }
        }
        self.storage = storage
        self.offsets = offsets
        self.slots = slots
        self.mask = mask
    }

    /// The id of `key`, or nil.
    func id(of key: UnsafeBufferPointer<UInt8>) -> Int32? {
        storage.withUnsafeBufferPointer { all in
            slots.withUnsafeBufferPointer { slots in
                var slot = Self.hash(key) & mask
                while true {
                    let id = slots[slot]
                    if id < 0 { return nil }
                    let i = Int(id)
                    if Self.equal(key, UnsafeBufferPointer(rebasing: all[offsets[i] ..< offsets[i + 1]])) { return id }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    func id(of key: [UInt8]) -> Int32? {
        key.withUnsafeBufferPointer { id(of: $0) }
    }

    /// The bytes of string `id`.
    func bytes(_ id: Int) -> ArraySlice<UInt8> {
        storage[offsets[id] ..< offsets[id + 1]]
    }

    func byteCount(_ id: Int) -> Int { offsets[id + 1] - offsets[id] }

    /// FNV-1a: short keys (tokens average a few bytes), so a simple byte loop is fastest.
    @inline(__always)
    private static func hash(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    @inline(__always)
    private static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return true }
        return memcmp(pa, pb, a.count) == 0
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
