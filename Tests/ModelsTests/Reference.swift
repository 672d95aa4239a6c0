import Foundation
import Testing
@testable import Models
import GGUF

/// llama.cpp's reference output for one model (../shared/testdata/reference/NAME.json).
struct Reference: Decodable {
    struct Prompt: Decodable {
        let text: String
        let tokens: [Int32]
        let greedy: [Int32]
        /// Per position: the 20 highest `[token, logit]` pairs.
        let top_logits: [[[Double]]]
    }
    let n_vocab: Int
    let add_bos: Bool
    let prompts: [Prompt]

    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared = repo.deletingLastPathComponent().appendingPathComponent("shared/testdata")

    static func load(_ name: String) throws -> Reference {
        try load(url: shared.appendingPathComponent("reference/\(name).json"))
    }

    /// A reference made by scripts/make-reference.py and committed under Tests/ModelsTests/Vectors.
    static func load(vector name: String) throws -> Reference {
        try load(url: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/\(name).json"))
    }

    static func load(url: URL) throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    /// Where the model file for reference `name` lives: shared fixtures or the fetched models.
    static func modelPath(_ name: String) -> String {
        let fixture = shared.appendingPathComponent("models/\(name).gguf").path
        if FileManager.default.fileExists(atPath: fixture) { return fixture }
        return repo.appendingPathComponent("models/\(name).gguf").path
    }
}

/// How Swiftlet's logits compare with llama.cpp's on one reference file.
struct ParityReport: CustomStringConvertible {
    var positions = 0
    var confidentPositions = 0
    var argmaxMismatches: [String] = []
    var sumAbsDiff = 0.0
    var countDiff = 0
    var maxAbsDiff = 0.0
    var greedyFailures: [String] = []

    var meanAbsDiff: Double { countDiff == 0 ? 0 : sumAbsDiff / Double(countDiff) }
    var description: String {
        "positions \(positions), confident \(confidentPositions), argmax mismatches \(argmaxMismatches.count), " +
            "mean |Δlogit| \(String(format: "%.4f", meanAbsDiff)), max \(String(format: "%.4f", maxAbsDiff)), " +
            "greedy failures \(greedyFailures.count)"
    }

    /// Evaluates every prompt of `ref` with `model`, the way the acceptance criteria describe:
    /// `tokens + greedy[:-1]` as one batch against `top_logits`, then greedy decoding against `greedy`
    /// up to the first position where llama.cpp's own top-2 margin is below 0.5.
    static func measure(model: any LanguageModel, reference ref: Reference) throws -> ParityReport {
        var r = ParityReport()
        let v = model.vocabularySize
        for (pi, p) in ref.prompts.enumerated() {
            let seq = Array((p.tokens + p.greedy).dropLast())
            let runner = SingleSequence(model: model, capacity: seq.count + 1)
            let logits = Array(try runner.evaluate(seq, allLogits: true))
            for (pos, top) in p.top_logits.enumerated() {
                r.positions += 1
                let row = logits[(pos * v) ..< ((pos + 1) * v)]
                for pair in top {
                    let d = abs(Double(row[row.startIndex + Int(pair[0])]) - pair[1])
                    r.sumAbsDiff += d; r.countDiff += 1; r.maxAbsDiff = max(r.maxAbsDiff, d)
                }
                if top.count >= 2, top[0][1] - top[1][1] >= 0.5 {
                    r.confidentPositions += 1
                    let argmax = row.indices.max { row[$0] < row[$1] }! - row.startIndex
                    if argmax != Int(top[0][0]) { r.argmaxMismatches.append("prompt \(pi) pos \(pos): \(argmax) vs \(Int(top[0][0]))") }
                }
            }
            // Greedy generation from the prompt alone.
            let gen = SingleSequence(model: model, capacity: p.tokens.count + p.greedy.count)
            var next = Array(try gen.evaluate(p.tokens))
            for (i, expected) in p.greedy.enumerated() {
                let top = p.top_logits[p.tokens.count - 1 + i]
                if top.count >= 2, top[0][1] - top[1][1] < 0.5 { break } // llama.cpp itself was unsure
                let argmax = Int32(next.indices.max { next[$0] < next[$1] }!)
                if argmax != expected { r.greedyFailures.append("prompt \(pi) step \(i): \(argmax) vs \(expected)"); break }
                if i + 1 < p.greedy.count { next = Array(try gen.evaluate([argmax])) }
            }
        }
        return r
    }
}

/// Loads reference `name` and its model, measures parity and checks the acceptance thresholds:
/// argmax agrees wherever llama.cpp's top-2 margin is ≥ 0.5, mean |Δlogit| ≤ 0.12 and max ≤ 0.8
/// over llama.cpp's top-20, greedy decoding reproduces llama.cpp's while it was confident.
func expectParity(_ name: String, reference: Reference? = nil) throws {
    let ref = try reference ?? Reference.load(name)
    let model = try ModelRegistry.load(path: Reference.modelPath(name))
    #expect(model.vocabularySize == ref.n_vocab)
    let r = try ParityReport.measure(model: model, reference: ref)
    print("parity \(name): \(r)")
    #expect(r.argmaxMismatches.isEmpty, "\(r.argmaxMismatches)")
    #expect(r.meanAbsDiff <= 0.12)
    #expect(r.maxAbsDiff <= 0.8)
    #expect(r.greedyFailures.isEmpty, "\(r.greedyFailures)")
}
