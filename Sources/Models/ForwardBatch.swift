/// The input of one forward pass: a flat list of tokens drawn from one or more sequences.
/// A single prompt is a batch with one sequence; a decode step for N streams is N tokens.
///
/// Tokens of one sequence must appear in increasing position order; their K/V are written to the
/// cache slots that the sequence's block table names, and attention for a token at position p
/// reads that sequence's positions 0...p.
public struct ForwardBatch: Sendable {
    /// One sequence taking part in this batch.
    public struct Sequence: Sendable {
        /// Physical KV block ids, in order: position p lives in block `blockTable[p / blockSize]`,
        /// slot `p % blockSize`. Must cover every position up to the sequence's last batch token.
        public var blockTable: [Int32]
        public init(blockTable: [Int32]) { self.blockTable = blockTable }
    }

    public var tokens: [Int32]          // [nTokens]
    public var positions: [Int32]       // [nTokens]
    public var sequenceIndex: [Int32]   // [nTokens], index into `sequences`
    /// Indices into `tokens` whose next-token logits are wanted, in the order they are returned.
    public var logitRows: [Int32]       // [nOutputs]
    public var sequences: [Sequence]

    public init(tokens: [Int32] = [], positions: [Int32] = [], sequenceIndex: [Int32] = [],
                logitRows: [Int32] = [], sequences: [Sequence] = []) {
        self.tokens = tokens
        self.positions = positions
        self.sequenceIndex = sequenceIndex
        self.logitRows = logitRows
        self.sequences = sequences
    }

    public var count: Int { tokens.count }

    /// Empties the batch but keeps the arrays' storage, so a scheduler can refill it every step
    /// without allocating.
    public mutating func removeAll() {
        tokens.removeAll(keepingCapacity: true)
        positions.removeAll(keepingCapacity: true)
        sequenceIndex.removeAll(keepingCapacity: true)
        logitRows.removeAll(keepingCapacity: true)
        sequences.removeAll(keepingCapacity: true)
    }
}

/// Errors a forward pass can report for a malformed batch (a scheduler bug or bad input).
public enum ForwardError: Error, Sendable, Equatable, CustomStringConvertible {
    case emptyBatch
    case tokenOutOfRange(token: Int32, vocabularySize: Int)
    case positionOutOfRange(position: Int32, contextLength: Int)
    case blockTableTooShort(sequence: Int, position: Int32)
    case blockOutOfRange(block: Int32, blockCount: Int)
    case malformedBatch(String)
    case outputTooSmall(needed: Int, got: Int)

    public var description: String {
        switch self {
        case .emptyBatch: return "forward batch is empty"
        case let .tokenOutOfRange(t, v): return "token id \(t) is outside the vocabulary (size \(v))"
        case let .positionOutOfRange(p, n): return "position \(p) is outside the context (length \(n))"
        case let .blockTableTooShort(s, p): return "sequence \(s) has no KV block for position \(p)"
        case let .blockOutOfRange(b, n): return "KV block \(b) is outside the pool (\(n) blocks)"
        case let .malformedBatch(why): return "malformed forward batch: \(why)"
        case let .outputTooSmall(needed, got): return "logits buffer holds \(got) floats, needs \(needed)"
        }
    }
}
