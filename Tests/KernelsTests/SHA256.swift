/// A small streaming SHA-256 (FIPS 180-4) for comparing whole dequantized tensors with the digests
/// gguf-py produced. Test-only: the package has no crypto dependency, and swift-crypto would be a
/// heavy one for a single hash. Checked against the FIPS test vectors in SHA256Tests.
final class SHA256 {
    private static let roundConstants: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    // Fixed buffers allocated once, so that hashing gigabytes allocates nothing per block.
    private let state = UnsafeMutablePointer<UInt32>.allocate(capacity: 8)
    private let k = UnsafeMutablePointer<UInt32>.allocate(capacity: 64)
    private let w = UnsafeMutablePointer<UInt32>.allocate(capacity: 64)
    private let pending = UnsafeMutablePointer<UInt8>.allocate(capacity: 64)
    private var pendingCount = 0
    private var totalBytes: UInt64 = 0

    init() {
        let initial: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
        state.initialize(from: initial, count: 8)
        k.initialize(from: Self.roundConstants, count: 64)
        w.initialize(repeating: 0, count: 64)
    }

    deinit {
        state.deallocate(); k.deallocate(); w.deallocate(); pending.deallocate()
    }

    func update(_ data: UnsafeRawBufferPointer) {
        guard var p = data.baseAddress else { return }
        var n = data.count
        totalBytes &+= UInt64(n)
        if pendingCount > 0 {
            let take = min(64 - pendingCount, n)
            (pending + pendingCount).initialize(from: p.assumingMemoryBound(to: UInt8.self), count: take)
            pendingCount += take; p += take; n -= take
            if pendingCount < 64 { return }
            compress(UnsafeRawPointer(pending), blocks: 1)
            pendingCount = 0
        }
        if n >= 64 { compress(p, blocks: n / 64) }
        p += n / 64 * 64; n %= 64
        if n > 0 { pending.initialize(from: p.assumingMemoryBound(to: UInt8.self), count: n); pendingCount = n }
    }

    /// The digest as lowercase hex; the object must not be updated afterwards.
    func finalize() -> String {
        let bitLength = totalBytes &* 8
        var padding = [UInt8](repeating: 0, count: pendingCount < 56 ? 56 - pendingCount : 120 - pendingCount)
        padding[0] = 0x80
        for shift in stride(from: 56, through: 0, by: -8) { padding.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        let saved = totalBytes
        padding.withUnsafeBytes { update($0) }
        totalBytes = saved
        return (0..<8).map { i in
            let hex = String(state[i], radix: 16)
            return String(repeating: "0", count: 8 - hex.count) + hex
        }.joined()
    }

    /// Processes whole 64-byte blocks. Written for speed in debug builds, where the digest tests
    /// hash hundreds of megabytes unoptimized: while loops instead of range iterators, and masking
    /// shifts (&>>, &<<), which are transparent, instead of the generic smart shifts.
    private func compress(_ data: UnsafeRawPointer, blocks: Int) {
        let w = self.w, k = self.k, state = self.state
        var b = 0
        while b < blocks {
            let block = data + 64 &* b
            var i = 0
            while i < 16 {
                w[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 &* i, as: UInt32.self))
                i &+= 1
            }
            while i < 64 {
                let x = w[i &- 15], y = w[i &- 2]
                let s0 = (x &>> 7 | x &<< 25) ^ (x &>> 18 | x &<< 14) ^ (x &>> 3)
                let s1 = (y &>> 17 | y &<< 15) ^ (y &>> 19 | y &<< 13) ^ (y &>> 10)
                w[i] = w[i &- 16] &+ s0 &+ w[i &- 7] &+ s1
                i &+= 1
            }
            var a = state[0], bb = state[1], c = state[2], d = state[3]
            var e = state[4], f = state[5], g = state[6], h = state[7]
            i = 0
            while i < 64 {
                let s1 = (e &>> 6 | e &<< 26) ^ (e &>> 11 | e &<< 21) ^ (e &>> 25 | e &<< 7)
                let ch = (e & f) ^ (~e & g)
                let t1 = h &+ s1 &+ ch &+ k[i] &+ w[i]
                let s0 = (a &>> 2 | a &<< 30) ^ (a &>> 13 | a &<< 19) ^ (a &>> 22 | a &<< 10)
                let maj = (a & bb) ^ (a & c) ^ (bb & c)
                h = g; g = f; f = e; e = d &+ t1
                d = c; c = bb; bb = a; a = t1 &+ s0 &+ maj
                i &+= 1
            }
            state[0] &+= a; state[1] &+= bb; state[2] &+= c; state[3] &+= d
            state[4] &+= e; state[5] &+= f; state[6] &+= g; state[7] &+= h
            b &+= 1
        }
    }
}
