/// Bookkeeping for the paged KV pool: which sequence holds which block, reference counts, and the
/// prefix cache. It never touches K/V data; copies it asks for (copy-on-write) are queued in
/// `pendingCopies` for the engine to run on the `KVCache` before the next forward pass.
///
/// Free blocks sit in one doubly linked queue that doubles as the prefix cache's LRU list: a
/// freed block that still carries a prefix hash goes to the tail (kept as long as possible), one
/// without goes to the head (reused first); allocation pops the head and only then drops the
/// popped block's hash (eviction). Block 0 is the reserved null block and the list's sentinel.
final class BlockManager {
    let blockSize: Int
    /// Blocks in the pool, including the null block 0.
    let blockCount: Int
    let prefixCaching: Bool

    private var refCounts: [Int32]          // [blockCount]
    private var hashOfBlock: [BlockHash?]   // [blockCount], set while the block is in `cached`
    private var cached: [BlockHash: Int32] = [:]
    private var next: [Int32]               // [blockCount], free-queue links; index 0 is the sentinel
    private var prev: [Int32]               // [blockCount]
    private(set) var freeCount: Int
    /// KV copies (source block, destination block) to run before the next forward pass.
    private(set) var pendingCopies: [(from: Int32, to: Int32)] = []

    init(blockCount: Int, blockSize: Int, prefixCaching: Bool = true) {
        self.blockSize = blockSize
        self.blockCount = blockCount
        self.prefixCaching = prefixCaching
        refCounts = Array(repeating: 0, count: blockCount)
        hashOfBlock = Array(repeating: nil, count: blockCount)
        next = Array(repeating: 0, count: blockCount)
        prev = Array(repeating: 0, count: blockCount)
        freeCount = 0
        for b in 1 ..< max(blockCount, 1) { linkAtTail(Int32(b)) }
    }

    /// Blocks a sequence may ever use (all but the null block).
    var usableBlockCount: Int { blockCount - 1 }

    func blocksNeeded(tokens: Int) -> Int { (tokens + blockSize - 1) / blockSize }

    func refCount(_ block: Int32) -> Int32 { refCounts[Int(block)] }

    /// Number of blocks currently registered in the prefix cache (referenced or not).
    var cachedBlockCount: Int { cached.count }

    // MARK: prefix cache

    /// Blocks of the prefix cache that hold `seq`'s leading full blocks, in order. Capped so that
    /// at least the last known token is left to compute: its logits are needed to continue.
    func cachedPrefix(of seq: SequenceState) -> [Int32] {
        guard prefixCaching else { return [] }
        let maxBlocks = (seq.tokens.count - 1) / blockSize
        ensureHashes(seq, blocks: maxBlocks)
        var hits: [Int32] = []
        for i in 0 ..< maxBlocks {
            guard let b = cached[seq.blockHashes[i]] else { break }
            hits.append(b)
        }
        return hits
    }

    /// Publishes `seq`'s newly completed full blocks (their K/V are now computed) to the prefix cache.
    /// A block whose key is already cached under another block stays private: two sequences that
    /// computed the same prefix concurrently keep one copy in the cache.
    func registerFullBlocks(of seq: SequenceState) {
        guard prefixCaching else { return }
        let full = min(seq.numComputedTokens / blockSize, seq.blockTable.count)
        guard full > seq.numRegisteredBlocks else { return }
        ensureHashes(seq, blocks: full)
        for i in seq.numRegisteredBlocks ..< full {
            let b = seq.blockTable[i]
            let h = seq.blockHashes[i]
            if hashOfBlock[Int(b)] == nil && cached[h] == nil {
                cached[h] = b
                hashOfBlock[Int(b)] = h
            }
        }
        seq.numRegisteredBlocks = full
    }

    private func ensureHashes(_ seq: SequenceState, blocks: Int) {
        while seq.blockHashes.count < blocks {
            let i = seq.blockHashes.count
            let parent = seq.blockHashes.last ?? .root
            seq.blockHashes.append(.chained(parent: parent, tokens: seq.tokens[i * blockSize ..< (i + 1) * blockSize]))
        }
    }

    // MARK: allocation

    /// Gives `seq` the blocks it needs to compute `newTokens` more tokens, after first taking over
    /// `prefix` (blocks from `cachedPrefix(of:)`, only for a sequence that holds no blocks yet,
    /// which then counts them as computed). Copies a shared, partially filled block before it is
    /// written (copy-on-write). Returns false, changing nothing, when free blocks run short.
    func allocateSlots(for seq: SequenceState, newTokens: Int, prefix: [Int32] = []) -> Bool {
        let computed = seq.numComputedTokens + prefix.count * blockSize
        let needed = blocksNeeded(tokens: computed + newTokens) - seq.blockTable.count - prefix.count
        // The block holding the first new token is written; if others share it, it must be copied.
        let writeBlock = computed / blockSize
        let copyOnWrite = newTokens > 0 && computed % blockSize != 0 && writeBlock < seq.blockTable.count
            && refCounts[Int(seq.blockTable[writeBlock])] > 1
        // Reviving an unreferenced cached block takes it off the free queue.
        var revived = 0
        for b in prefix where refCounts[Int(b)] == 0 { revived += 1 }
        guard max(needed, 0) + (copyOnWrite ? 1 : 0) <= freeCount - revived else { return false }

        for b in prefix {
            if refCounts[Int(b)] == 0 { unlink(b) }
            refCounts[Int(b)] += 1
            seq.blockTable.append(b)
        }
        if !prefix.isEmpty {
            seq.numComputedTokens = computed
            seq.numRegisteredBlocks = prefix.count
        }
        if copyOnWrite {
            let shared = seq.blockTable[writeBlock]
            let own = popFree()
            refCounts[Int(shared)] -= 1
            seq.blockTable[writeBlock] = own
            pendingCopies.append((from: shared, to: own))
        }
        for _ in 0 ..< max(needed, 0) { seq.blockTable.append(popFree()) }
        return true
    }

    /// Makes `child` share every block of `parent` (for `n > 1` completions of one prompt); the
    /// first write into a shared partial block copies it.
    func fork(_ parent: SequenceState, into child: SequenceState) {
        for b in parent.blockTable { refCounts[Int(b)] += 1 }
        child.blockTable = parent.blockTable
        child.blockHashes = parent.blockHashes
        child.numRegisteredBlocks = parent.numRegisteredBlocks
        child.numComputedTokens = parent.numComputedTokens
    }

    /// Releases `seq`'s blocks. Released last-block-first, so that under memory pressure a cached
    /// prefix is evicted from its end and its beginning (the part most likely shared) survives.
    func free(_ seq: SequenceState) {
        for b in seq.blockTable.reversed() {
            refCounts[Int(b)] -= 1
            if refCounts[Int(b)] == 0 {
                if hashOfBlock[Int(b)] != nil { linkAtTail(b) } else { linkAtHead(b) }
            }
        }
        // A copy into a block this sequence no longer holds would be wasted (and could land in a
        // block that is reallocated before the copy runs).
        if !pendingCopies.isEmpty {
            pendingCopies.removeAll { copy in seq.blockTable.contains(copy.to) }
        }
        seq.blockTable.removeAll()
        seq.numRegisteredBlocks = 0
        seq.numComputedTokens = 0
    }

    /// Hands every queued copy to `copy` (which must run it before the next forward pass) and
    /// forgets them.
    func runPendingCopies(_ copy: (_ from: Int32, _ to: Int32) -> Void) {
        guard !pendingCopies.isEmpty else { return }
        for c in pendingCopies { copy(c.from, c.to) }
        pendingCopies.removeAll(keepingCapacity: true)
    }

    // MARK: free queue

    private func popFree() -> Int32 {
        let b = next[0]
        unlink(b)
        if let h = hashOfBlock[Int(b)] {   // eviction: the block's cached prefix is gone
            cached[h] = nil
            hashOfBlock[Int(b)] = nil
        }
        refCounts[Int(b)] = 1
        return b
    }

    private func unlink(_ b: Int32) {
        let p = prev[Int(b)], n = next[Int(b)]
        next[Int(p)] = n
        prev[Int(n)] = p
        next[Int(b)] = -1
        prev[Int(b)] = -1
        freeCount -= 1
    }

    private func linkAtTail(_ b: Int32) { link(b, after: prev[0]) }
    private func linkAtHead(_ b: Int32) { link(b, after: 0) }

    /// Inserts `b` into the free queue right after `p` (0: the sentinel, so at the head).
    private func link(_ b: Int32, after p: Int32) {
        let n = next[Int(p)]
        next[Int(p)] = b
        prev[Int(b)] = p
        next[Int(b)] = n
        prev[Int(n)] = b
        freeCount += 1
    }

    // MARK: invariants

    /// Checks the bookkeeping against the block tables of every live sequence: reference counts
    /// equal the number of tables naming a block; the free queue holds exactly the unreferenced
    /// blocks, once each; the null block is never handed out; the cache map and the per-block
    /// hashes agree. Throws a description of the first violation.
    func checkInvariants(liveSequences: [SequenceState]) throws(BlockManagerInvariantViolation) {
        var expected = [Int32](repeating: 0, count: blockCount)
        for seq in liveSequences {
            for b in seq.blockTable {
                guard b > 0 && Int(b) < blockCount else {
                    throw .init("sequence \(seq.requestID) holds invalid block \(b)")
                }
                expected[Int(b)] += 1
            }
        }
        for b in 1 ..< blockCount where expected[b] != refCounts[b] {
            throw .init("block \(b) has refcount \(refCounts[b]) but \(expected[b]) tables name it")
        }
        var inQueue = [Bool](repeating: false, count: blockCount)
        var walked = 0
        var b = next[0]
        while b != 0 {
            guard b > 0 && Int(b) < blockCount, !inQueue[Int(b)], walked < blockCount else {
                throw .init("free queue is corrupt at block \(b)")
            }
            guard refCounts[Int(b)] == 0 else { throw .init("block \(b) is free but referenced") }
            inQueue[Int(b)] = true
            walked += 1
            b = next[Int(b)]
        }
        guard walked == freeCount else { throw .init("free queue holds \(walked) blocks, count says \(freeCount)") }
        for b in 1 ..< blockCount where refCounts[b] == 0 && !inQueue[b] {
            throw .init("block \(b) is unreferenced but not free (leaked)")
        }
        guard refCounts[0] == 0 && !inQueue[0] else { throw .init("null block is in use") }
        for (h, b) in cached where hashOfBlock[Int(b)] != h {
            throw .init("cache maps a key to block \(b) whose own key differs")
        }
        let hashed = hashOfBlock.reduce(0) { $0 + ($1 == nil ? 0 : 1) }
        guard hashed == cached.count else { throw .init("\(hashed) blocks carry keys, cache holds \(cached.count)") }
    }

    /// True when every usable block is free (no sequence holds any).
    var isWhole: Bool { freeCount == usableBlockCount }
}

struct BlockManagerInvariantViolation: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
