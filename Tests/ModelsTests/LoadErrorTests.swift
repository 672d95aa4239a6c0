import Foundation
import Testing
@testable import Models
import GGUF

/// Files that are valid GGUF but not runnable models must fail with an error naming the problem.
@Suite struct LoadErrorTests {
    static func vocab(_ name: String) -> String {
        Reference.shared.appendingPathComponent("tokenizer/ggml-vocab-\(name).gguf").path
    }

    @Test func unsupportedArchitectureIsNamed() throws {
        #expect {
            _ = try ModelRegistry.load(path: Self.vocab("gpt-2"))
        } throws: { error in
            guard case let ModelError.unsupportedArchitecture(arch) = error else { return false }
            return arch == "gpt2" && "\(error)".contains("gpt2")
        }
    }

    @Test func missingTensorIsNamed() throws {
        // A vocab-only file: real hyperparameters, no weights.
        #expect {
            _ = try ModelRegistry.load(path: Self.vocab("llama-spm"))
        } throws: { error in
            guard case let ModelError.missingTensor(name) = error else { return false }
            return "\(error)".contains(name)
        }
    }

    @Test func malformedBatchesAreRejected() throws {
        let model = try ModelRegistry.load(path: Reference.modelPath("phi3-f16"))
        let cache = KVCache(layout: model.kvLayout, blockSize: 16, blockCount: 2)
        var logits = [Float](repeating: 0, count: model.vocabularySize)
        func run(_ b: ForwardBatch) throws {
            try logits.withUnsafeMutableBufferPointer { try model.forward(b, cache: cache, logits: $0) }
        }
        let seq = [ForwardBatch.Sequence(blockTable: [0, 1])]
        #expect(throws: ForwardError.emptyBatch) { try run(ForwardBatch(sequences: seq)) }
        #expect(throws: ForwardError.tokenOutOfRange(token: 99999, vocabularySize: model.vocabularySize)) {
            try run(ForwardBatch(tokens: [99999], positions: [0], sequenceIndex: [0], logitRows: [0], sequences: seq))
        }
        #expect(throws: ForwardError.blockTableTooShort(sequence: 0, position: 40)) {
            try run(ForwardBatch(tokens: [1], positions: [40], sequenceIndex: [0], logitRows: [0], sequences: seq))
        }
        #expect(throws: ForwardError.blockOutOfRange(block: 7, blockCount: 2)) {
            try run(ForwardBatch(tokens: [1], positions: [0], sequenceIndex: [0], logitRows: [0],
                                 sequences: [ForwardBatch.Sequence(blockTable: [7])]))
        }
        #expect(throws: ForwardError.outputTooSmall(needed: 2 * model.vocabularySize, got: model.vocabularySize)) {
            try run(ForwardBatch(tokens: [1, 2], positions: [0, 1], sequenceIndex: [0, 0], logitRows: [0, 1], sequences: seq))
        }
    }

    /// The same tokens give the same logits whether evaluated as one batch or one token at a time
    /// (the KV cache written by earlier steps is read back correctly).
    @Test func incrementalMatchesBatch() throws {
        let model = try ModelRegistry.load(path: Reference.modelPath("llama-spm-q4_k_m"))
        let tokens: [Int32] = [1, 450, 4996, 17354, 1701, 29916, 432, 17204, 975, 278, 17366, 11203, 29889]
        let whole = Array(try SingleSequence(model: model, capacity: 64).evaluate(tokens, allLogits: true))
        let step = SingleSequence(model: model, capacity: 64)
        let v = model.vocabularySize
        for (i, t) in tokens.enumerated() {
            let row = Array(try step.evaluate([t]))
            let ref = whole[(i * v) ..< ((i + 1) * v)]
            let maxDiff = zip(row, ref).map { abs($0 - $1) }.max() ?? 0
            #expect(maxDiff < 1e-3, "position \(i): max diff \(maxDiff)")
        }
    }
}
