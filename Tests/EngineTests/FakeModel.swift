import Foundation
import Models
@testable import Engine

/// A model without weights whose next-token logits are a pure function of the whole token
/// history — read back through the KV cache. Each token's K row stores (token id, position);
/// a logits row is computed from what the block table yields for positions 0...p, and a slot
/// holding the wrong position fails the forward pass. So a wrong block table, a stale prefix-cache
/// block or a missing copy-on-write changes the generated tokens, and tests catch it by comparing
/// with `FakeModel.logits(history:)` computed directly.
final class FakeModel: LanguageModel, @unchecked Sendable {
    // Unchecked: `records` and `failOnCall` are guarded by `lock`.
    let vocabularySize: Int
    let contextLength: Int
    let kvLayout = KVLayout(layerCount: 1, kvHeadCount: 1, headDim: 2)   // K row: [token, position]

    struct BatchRecord {
        var tokens: Int
        var logitRows: Int
        /// Tokens per sequence, in batch order, with the sequence's first position.
        var sequences: [(firstPosition: Int32, tokens: Int)]
    }

    private let lock = NSLock()
    private var records: [BatchRecord] = []
    private var failOnCall: Int?

    init(vocabularySize: Int = 32, contextLength: Int = 512) {
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
    }

    var batches: [BatchRecord] { lock.withLock { records } }
    var computedTokens: Int { batches.reduce(0) { $0 + $1.tokens } }

    /// Makes forward call number `call` (1-based, counted from now) throw.
    func failForward(afterCalls calls: Int) { lock.withLock { failOnCall = records.count + calls + 1 } }

    func forward(_ batch: ForwardBatch, cache: KVCache, logits: UnsafeMutableBufferPointer<Float>) throws {
        let record = try lock.withLock { () throws -> BatchRecord in
            if let f = failOnCall, records.count + 1 == f {
                failOnCall = nil
                throw ForwardError.malformedBatch("injected failure")
            }
            return try check(batch, cache: cache, logits: logits)
        }
        let k = cache.keys(layer: 0)
        let row = kvLayout.rowElements
        func slot(_ seq: Int, _ position: Int32) -> Int {
            let table = batch.sequences[seq].blockTable
            return (Int(table[Int(position) / cache.blockSize]) * cache.blockSize + Int(position) % cache.blockSize) * row
        }
        for i in 0 ..< batch.count {
            let s = slot(Int(batch.sequenceIndex[i]), batch.positions[i])
            k[s] = Float16(batch.tokens[i])
            k[s + 1] = Float16(batch.positions[i])
        }
        for (r, tokenIndex) in batch.logitRows.enumerated() {
            let seq = Int(batch.sequenceIndex[Int(tokenIndex)])
            let last = batch.positions[Int(tokenIndex)]
            var history: [Int32] = []
            for p in 0 ... last {
                let s = slot(seq, p)
                guard k[s + 1] == Float16(p) else {
                    throw ForwardError.malformedBatch("slot of position \(p) holds position \(k[s + 1])")
                }
                history.append(Int32(k[s]))
            }
            Self.logits(history: history, into: UnsafeMutableBufferPointer(
                rebasing: logits[r * vocabularySize ..< (r + 1) * vocabularySize]))
        }
        lock.withLock { records.append(record) }
    }

    private func check(_ b: ForwardBatch, cache: KVCache, logits: UnsafeMutableBufferPointer<Float>) throws -> BatchRecord {
        guard b.count > 0 else { throw ForwardError.emptyBatch }
        guard logits.count >= b.logitRows.count * vocabularySize else {
            throw ForwardError.outputTooSmall(needed: b.logitRows.count * vocabularySize, got: logits.count)
        }
        var perSequence: [(firstPosition: Int32, tokens: Int)] = b.sequences.map { _ in (-1, 0) }
        for i in 0 ..< b.count {
            let s = Int(b.sequenceIndex[i]), p = b.positions[i]
            guard b.tokens[i] >= 0 && Int(b.tokens[i]) < vocabularySize else {
                throw ForwardError.tokenOutOfRange(token: b.tokens[i], vocabularySize: vocabularySize)
            }
            guard Int(p) < contextLength else { throw ForwardError.positionOutOfRange(position: p, contextLength: contextLength) }
            let table = b.sequences[s].blockTable
            guard Int(p) / cache.blockSize < table.count else { throw ForwardError.blockTableTooShort(sequence: s, position: p) }
            let block = table[Int(p) / cache.blockSize]
            guard block > 0 && Int(block) < cache.blockCount else {
                throw ForwardError.blockOutOfRange(block: block, blockCount: cache.blockCount)
            }
            if perSequence[s].tokens == 0 { perSequence[s].firstPosition = p }
            guard p == perSequence[s].firstPosition + Int32(perSequence[s].tokens) else {
                throw ForwardError.malformedBatch("sequence \(s) positions are not consecutive")
            }
            perSequence[s].tokens += 1
        }
        return BatchRecord(tokens: b.count, logitRows: b.logitRows.count, sequences: perSequence)
    }

    /// The model's "knowledge": logits for the token after `history` (`[vocabularySize]`).
    static func logits(history: [Int32], into out: UnsafeMutableBufferPointer<Float>) {
        var h: UInt64 = 0x1234_5678
        for t in history { h = mix(h ^ UInt64(t)) }
        for j in 0 ..< out.count {
            out[j] = Float(mix(h &+ UInt64(j)) >> 40) * 0x1p-24 * 8 - 4   // [-4, 4)
        }
    }

    private static func mix(_ x: UInt64) -> UInt64 {
        var g = SplitMix64(seed: x)
        return g.next()
    }
}

/// Detokenizes token t as "<t>", except a few ids that spell words, so stop strings can span tokens.
struct FakeDetokenizer: Detokenizer {
    struct Decoder: IncrementalDecoder {
        mutating func append(_ token: Int32) -> String { FakeDetokenizer.text(of: token) }
    }
    func makeDecoder() -> any IncrementalDecoder { Decoder() }

    static func text(of token: Int32) -> String {
        switch token {
        case 1: return "ST"
        case 2: return "OP"
        case 3: return "é"
        default: return "<\(token)>"
        }
    }
}
