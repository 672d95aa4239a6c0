/// Prefix-cache key of one full KV block: a chained hash of (parent block's key, the block's token
/// ids). Chaining makes the key name the whole prefix up to the block's end, which is what the
/// block's K/V depend on. 128 bits (two independently seeded lanes) so that an accidental collision
/// (which would silently serve another prefix's K/V) is out of reach; it is not a cryptographic
/// hash, so it does not defend against prompts crafted to collide.
struct BlockHash: Hashable, Sendable {
    var lo: UInt64
    var hi: UInt64

    /// Key of the (absent) parent of a sequence's first block.
    static let root = BlockHash(lo: 0x243F_6A88_85A3_08D3, hi: 0x1319_8A2E_0370_7344)

    /// Key of the block holding `tokens`, whose predecessor block has key `parent`.
    static func chained(parent: BlockHash, tokens: ArraySlice<Int32>) -> BlockHash {
        var a = parent.lo ^ 0x9E37_79B9_7F4A_7C15
        var b = parent.hi ^ 0xC2B2_AE3D_27D4_EB4F
        for t in tokens {
            let v = UInt64(UInt32(bitPattern: t))
            a = mix(a ^ v)
            b = mix(b &+ (v &* 0xFF51_AFD7_ED55_8CCD))
        }
        // The length goes in too, so a block is never confused with a shorter one.
        return BlockHash(lo: mix(a ^ UInt64(tokens.count)), hi: mix(b &+ UInt64(tokens.count)))
    }

    /// SplitMix64's output function: a bijective avalanche on 64 bits.
    @inline(__always)
    private static func mix(_ x: UInt64) -> UInt64 {
        var g = SplitMix64(seed: x)
        return g.next()
    }
}
