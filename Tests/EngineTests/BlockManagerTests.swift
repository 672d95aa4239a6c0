import Testing
@testable import Engine

/// A sequence holding `tokens`, for driving the block manager directly.
private func sequence(_ tokens: [Int32], id: UInt64 = 1) -> SequenceState {
    SequenceState(requestID: RequestID(rawValue: id), arrival: id,
                  request: GenerationRequest(promptTokens: tokens, stop: StopConditions(maxTokens: 1)),
                  seed: 0, decoder: nil, sink: Collector())
}

/// Allocates and "computes" all of `seq`'s tokens, publishing its full blocks.
private func computeAll(_ seq: SequenceState, in bm: BlockManager) -> Bool {
    let prefix = bm.cachedPrefix(of: seq)
    guard bm.allocateSlots(for: seq, newTokens: seq.tokens.count - prefix.count * bm.blockSize, prefix: prefix)
    else { return false }
    seq.numComputedTokens = seq.tokens.count
    bm.registerFullBlocks(of: seq)
    return true
}

/// Ends every sequence; the pool must then be whole and consistent.
private func freeAll(_ seqs: [SequenceState], in bm: BlockManager) throws {
    for seq in seqs { bm.free(seq) }
    #expect(bm.isWhole)
    try bm.checkInvariants(liveSequences: [])
}

@Suite struct BlockManagerTests {
    @Test func allocationAndFreeKeepThePoolWhole() throws {
        let bm = BlockManager(blockCount: 9, blockSize: 4)
        #expect(bm.usableBlockCount == 8 && bm.freeCount == 8)
        let a = sequence(prompt(10)), b = sequence(prompt(13, salt: 1), id: 2)
        #expect(bm.allocateSlots(for: a, newTokens: 10))   // 3 blocks
        #expect(bm.allocateSlots(for: b, newTokens: 13))   // 4 blocks
        #expect(a.blockTable.count == 3 && b.blockTable.count == 4 && bm.freeCount == 1)
        #expect(!a.blockTable.contains(0) && Set(a.blockTable).isDisjoint(with: b.blockTable))
        try bm.checkInvariants(liveSequences: [a, b])
        // Two more blocks than are free: refused, nothing changes.
        let c = sequence(prompt(8, salt: 2), id: 3)
        #expect(!bm.allocateSlots(for: c, newTokens: 8))   // 2 blocks, 1 free
        try bm.checkInvariants(liveSequences: [a, b, c])
        try freeAll([a, b, c], in: bm)
    }

    @Test func refusedAllocationChangesNothing() throws {
        let bm = BlockManager(blockCount: 3, blockSize: 4)   // 2 usable
        let a = sequence(prompt(12))
        #expect(!bm.allocateSlots(for: a, newTokens: 12))
        #expect(a.blockTable.isEmpty && bm.freeCount == 2)
        try bm.checkInvariants(liveSequences: [a])
    }

    @Test func invariantCheckerCatchesALeak() throws {
        let bm = BlockManager(blockCount: 5, blockSize: 4)
        let a = sequence(prompt(5))
        #expect(bm.allocateSlots(for: a, newTokens: 5))
        // Forgetting a live sequence's table looks like a refcount mismatch.
        #expect(throws: BlockManagerInvariantViolation.self) { try bm.checkInvariants(liveSequences: []) }
    }

    @Test func prefixHitsReuseFullBlocksButLeaveTheLastToken() throws {
        let bm = BlockManager(blockCount: 17, blockSize: 4)
        let a = sequence(prompt(16))
        #expect(computeAll(a, in: bm))
        #expect(bm.cachedBlockCount == 4)
        // Same 16 tokens: only 3 blocks may be reused, so the last token is computed for its logits.
        let b = sequence(prompt(16), id: 2)
        #expect(bm.cachedPrefix(of: b) == Array(a.blockTable[0 ..< 3]))
        // Shares 9 tokens then diverges: 2 full blocks match.
        var tokens = prompt(16)
        tokens[9] = 3
        let c = sequence(tokens, id: 3)
        let hits = bm.cachedPrefix(of: c)
        #expect(hits == Array(a.blockTable[0 ..< 2]))
        #expect(bm.allocateSlots(for: c, newTokens: 8, prefix: hits))
        #expect(c.numComputedTokens == 8 && c.blockTable.count == 4)
        #expect(bm.refCount(a.blockTable[0]) == 2 && bm.refCount(a.blockTable[2]) == 1)
        try bm.checkInvariants(liveSequences: [a, c])
        // A different first block changes every chained key after it.
        var other = prompt(16)
        other[0] = 5
        #expect(bm.cachedPrefix(of: sequence(other, id: 4)).isEmpty)
        try freeAll([a, c], in: bm)
    }

    @Test func unreferencedCachedBlocksAreEvictedLastBlockFirst() throws {
        let bm = BlockManager(blockCount: 7, blockSize: 4)   // 6 usable
        let a = sequence(prompt(17))                        // 4 full blocks + 1 partial
        #expect(computeAll(a, in: bm))
        let aBlocks = a.blockTable
        bm.free(a)
        #expect(bm.isWhole && bm.cachedBlockCount == 4)
        // Revived from the free queue by a hit: counted as used again.
        let again = sequence(prompt(17), id: 2)
        #expect(bm.cachedPrefix(of: again).count == 4)
        // 3 new blocks: the 2 never-cached ones go first, then a's last cached block is evicted.
        let b = sequence(prompt(12, salt: 5), id: 3)
        #expect(bm.allocateSlots(for: b, newTokens: 12))
        #expect(bm.cachedBlockCount == 3)
        #expect(bm.cachedPrefix(of: again) == Array(aBlocks[0 ..< 3]))
        try bm.checkInvariants(liveSequences: [b])
        try freeAll([b], in: bm)
    }

    @Test func forkSharesBlocksAndCopiesThePartialBlockOnWrite() throws {
        let bm = BlockManager(blockCount: 9, blockSize: 4)
        let parent = sequence(prompt(6))
        #expect(computeAll(parent, in: bm))                 // blocks: [full, partial(2 of 4)]
        let child = sequence(prompt(6), id: 2)
        bm.fork(parent, into: child)
        #expect(child.blockTable == parent.blockTable && child.numComputedTokens == 6)
        try bm.checkInvariants(liveSequences: [parent, child])
        // Each appends a token at position 6, inside the shared partial block.
        parent.tokens.append(9)
        child.tokens.append(10)
        #expect(bm.allocateSlots(for: child, newTokens: 1))
        var copies: [(Int32, Int32)] = []
        bm.runPendingCopies { copies.append(($0, $1)) }
        #expect(copies.count == 1)
        #expect(copies.first?.0 == parent.blockTable[1] && copies.first?.1 == child.blockTable[1])
        #expect(child.blockTable[0] == parent.blockTable[0] && child.blockTable[1] != parent.blockTable[1])
        // The parent is now the partial block's only holder: it writes in place.
        #expect(bm.allocateSlots(for: parent, newTokens: 1))
        bm.runPendingCopies { _, _ in Issue.record("the sole holder of a block must not copy it") }
        try bm.checkInvariants(liveSequences: [parent, child])
        try freeAll([parent, child], in: bm)
    }
}
