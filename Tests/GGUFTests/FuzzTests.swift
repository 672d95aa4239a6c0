import Testing
@testable import GGUF

/// SplitMix64: a small seeded generator, so that every run mutates the same way.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct FuzzTests {
    static let iterations = 5000
    static let seed: UInt64 = 0x6767_5546_F022

    /// Random byte flips, truncations, insertions/deletions and edits of count, length, type,
    /// dimension and offset fields of a valid file: each result throws a `GGUFError` or loads into a
    /// file whose every tensor lies inside it. A crash fails the whole test run. Counts are checked
    /// against the bytes left before anything is reserved: a lone edit that sets a field to an
    /// impossible value (top bit set) must be reported at that very field, before any allocation
    /// the value would size.
    @Test func mutatedFilesThrowOrLoad() {
        let built = Fixtures.everything.build()
        var rng = SplitMix64(state: Self.seed)
        var loaded = 0, thrown = 0, targeted = 0
        for iteration in 0 ..< Self.iterations {
            var bytes = built.bytes
            let mutations = Int.random(in: 1 ... 3, using: &rng)
            var impossibleField: GGUFBuilder.Field?
            for _ in 0 ..< mutations where bytes.count > 1 {
                switch Int.random(in: 0 ..< 6, using: &rng) {
                case 0:
                    let i = Int.random(in: 0 ..< bytes.count, using: &rng)
                    bytes[i] ^= 1 << UInt8.random(in: 0 ..< 8, using: &rng)
                case 1:
                    bytes[Int.random(in: 0 ..< bytes.count, using: &rng)] = UInt8.random(in: 0 ... 255, using: &rng)
                case 2:
                    bytes.removeLast(Int.random(in: 1 ... bytes.count - 1, using: &rng))
                case 3:
                    let i = Int.random(in: 0 ..< bytes.count, using: &rng)
                    if Bool.random(using: &rng) { bytes.insert(UInt8.random(in: 0 ... 255, using: &rng), at: i) } else { bytes.remove(at: i) }
                default:
                    let field = built.fields.randomElement(using: &rng)!
                    guard field.offset + field.width <= bytes.count else { continue }
                    let value = Self.interesting(field, in: bytes, using: &rng)
                    withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(field.offset ..< field.offset + field.width, with: $0.prefix(field.width)) }
                    let topBit: UInt64 = field.width == 8 ? 1 << 63 : 1 << 31
                    if mutations == 1, value & topBit != 0 { impossibleField = field }
                }
            }
            do {
                let f = try load(bytes)
                loaded += 1
                #expect(f.alignment > 0 && f.alignment & (f.alignment - 1) == 0)
                #expect(f.dataOffset % f.alignment == 0 || f.tensors.isEmpty)
                for t in f.tensors {
                    #expect(t.offset >= 0 && f.dataOffset + t.offset + t.byteCount <= f.fileSize, "iteration \(iteration)")
                    #expect(f.data(of: t).count == t.byteCount)
                    #expect(f.tensor(named: t.name) == t)
                }
                _ = try? GGUFModelSummary(f)
            } catch {
                thrown += 1
                #expect(!error.description.isEmpty)
                if let field = impossibleField {
                    targeted += 1
                    #expect(error.offset == field.offset, "iteration \(iteration): \(field.kind) field at \(field.offset) set impossible, but: \(error)")
                }
            }
        }
        // The mutations must exercise both outcomes and the targeted checks.
        #expect(loaded > 0)
        #expect(thrown > 0)
        #expect(targeted > 0)
    }

    /// A value for `field`: a boundary (0, ±1 around the current value, the file's size), a huge or
    /// negative one, or a random one.
    static func interesting(_ field: GGUFBuilder.Field, in bytes: [UInt8], using rng: inout SplitMix64) -> UInt64 {
        var current: UInt64 = 0
        for k in (0 ..< field.width).reversed() { current = current << 8 | UInt64(bytes[field.offset + k]) }
        let top: UInt64 = field.width == 8 ? 1 << 63 : 1 << 31
        let all: UInt64 = field.width == 8 ? .max : UInt64(UInt32.max)
        let candidates: [UInt64] = [
            0, 1, 2, current &- 1, current &+ 1, current &* 2, UInt64(bytes.count), UInt64(bytes.count + 1),
            UInt64(bytes.count - field.offset), 1 << 20, top, top - 1, all, all - 1, rng.next() & all,
        ]
        return candidates.randomElement(using: &rng)! & all
    }
}
