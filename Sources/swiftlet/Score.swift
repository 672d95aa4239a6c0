import ArgumentParser
import Foundation
import GGUF
import Models

struct Score: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a sequence as one batch and print the top next-token logits at every position.",
        discussion: """
            --text is tokenized like a prompt (BOS if the model adds one, special tokens parsed).
            --json prints {"tokens": [ids], "top_logits": [[[id, logit], …], …]}, the layout of
            llama.cpp reference files, plus "logprobs": the log-probability of each actual next token.
            """)

    @Option(help: "Path to a .gguf model.") var model: String
    @Option(help: "Text to score.") var text: String?
    @Option(help: "Comma-separated token ids to score.") var tokens: String?
    @Option(help: "How many top logits to print per position.") var top: Int = 5
    @Option(help: "Compute threads (default: the machine's core count).") var threads: Int?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        try validateThreadCount(threads)
        guard (text == nil) != (tokens == nil) else { throw ValidationError("give exactly one of --text or --tokens") }
        guard top >= 1 && top <= 1000 else { throw ValidationError("--top must be 1...1000") }
        if let tokens, parseTokenList(tokens) == nil { throw ValidationError("--tokens must be comma-separated integers") }
    }

    func run() async throws {
        let loaded = try LoadedModel(path: model, threads: threads)
        let ids: [Int32]
        if let tokens {
            ids = parseTokenList(tokens) ?? []
        } else {
            ids = try loaded.promptTokens(text ?? "")
        }
        guard !ids.isEmpty else { throw ValidationError("nothing to score: the sequence has no tokens") }
        let m = loaded.model
        let runner = SingleSequence(model: m, capacity: ids.count)
        guard ids.count <= runner.capacity else {
            throw CLIError("sequence has \(ids.count) tokens, more than the model's context length \(m.contextLength)")
        }
        let logits = try runner.evaluate(ids, allLogits: true)
        let v = m.vocabularySize
        var tops: [[(Int, Float)]] = []
        var logprobs: [Double?] = []
        for pos in 0 ..< ids.count {
            let row = logits[(logits.startIndex + pos * v) ..< (logits.startIndex + (pos + 1) * v)]
            tops.append(topK(row, top))
            if pos + 1 < ids.count { logprobs.append(logSoftmax(row, at: Int(ids[pos + 1]))) } else { logprobs.append(nil) }
        }
        if json {
            let object: [String: Any] = [
                "tokens": ids.map { Int($0) },
                "top_logits": tops.map { $0.map { [$0.0, Double($0.1)] as [Any] } },
                "logprobs": logprobs.map { $0 as Any? ?? NSNull() },
            ]
            try printJSON(object)
        } else {
            for pos in 0 ..< ids.count {
                let lp = logprobs[pos].map { String(format: " logprob(next=%d) %.4f", ids[pos + 1], $0) } ?? ""
                let list = tops[pos].map { "\($0.0):\(String(format: "%.3f", $0.1))" }.joined(separator: " ")
                print("\(pos)\ttoken \(ids[pos])\(lp)\ttop: \(list)")
            }
        }
    }
}

/// Parses "1,2, 3" into token ids; nil if any item is not an integer.
func parseTokenList(_ s: String) -> [Int32]? {
    var out: [Int32] = []
    for part in s.split(whereSeparator: { $0 == "," || $0 == " " }) {
        guard let v = Int32(part) else { return nil }
        out.append(v)
    }
    return out
}

/// The `k` highest entries of `row` as (index, value), highest first.
func topK(_ row: ArraySlice<Float>, _ k: Int) -> [(Int, Float)] {
    var best: [(Int, Float)] = []
    for (i, x) in zip(0..., row) where best.count < k || x > best[best.count - 1].1 {
        let at = best.firstIndex { $0.1 < x } ?? best.count
        best.insert((i, x), at: at)
        if best.count > k { best.removeLast() }
    }
    return best
}

/// log softmax(row)[index], computed stably in double precision.
func logSoftmax(_ row: ArraySlice<Float>, at index: Int) -> Double {
    let m = Double(row.max() ?? 0)
    let s = row.reduce(0.0) { $0 + exp(Double($1) - m) }
    return Double(row[row.startIndex + index]) - m - log(s)
}
