import ArgumentParser
import Foundation
import Models

/// `swiftlet bench`: performance measurements.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure performance.",
        subcommands: [BenchModel.self, BenchThroughput.self])
}

/// `swiftlet bench model`: prompt and decode throughput of one model, like llama-bench.
struct BenchModel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Prompt-processing and decode tokens/s of a model (mean ± stddev over repetitions).",
        discussion: """
            Prompt: one batch of --prompt-len tokens into an empty cache (logits of the last token).
            Decode: for each --batch B, B sequences decode --gen-len tokens together from an empty
            cache, one forward per step with logits for all B; tokens/s counts all B streams.
            Token ids are fixed pseudo-random values (no sampling). One untimed warm-up run first.
            """)

    @Option(help: "Path to a .gguf model.") var model: String
    @Option(help: "Prompt tokens per prompt run.") var promptLen: Int = 512
    @Option(help: "Decode steps per decode run.") var genLen: Int = 128
    @Option(help: "Comma-separated decode batch sizes (sequences decoding together).") var batch: String = "1,16,32"
    @Option(help: "Worker threads (default: the machine's core count).") var threads: Int?
    @Option(help: "Timed runs per measurement.") var repetitions: Int = 3
    @Flag(help: "Print one JSON object.") var json = false

    var batchSizes: [Int]? {
        let parts = batch.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) >= 1 }) else { return nil }
        return parts.compactMap { $0 }
    }

    func validate() throws {
        guard promptLen >= 0, genLen >= 0 else { throw ValidationError("--prompt-len and --gen-len must be ≥ 0") }
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be ≥ 1") }
        try validateThreadCount(threads)
        guard batchSizes != nil else { throw ValidationError("--batch must be comma-separated positive integers") }
    }

    func run() async throws {
        let loaded = try LoadedModel(path: model, threads: threads)
        let m = loaded.model
        guard let decoderModel = m as? DecoderModel else { throw CLIError("bench model needs a decoder model") }
        guard promptLen <= m.contextLength, genLen <= m.contextLength else {
            throw CLIError("--prompt-len/--gen-len exceed the model's context length \(m.contextLength)")
        }
        let runner = Runner(model: m)
        var promptRate: Stats?
        if promptLen > 0 {
            _ = try runner.prompt(length: min(promptLen, 16))  // warm-up: page in weights, start threads
            promptRate = Stats(try (0 ..< repetitions).map { _ in Double(promptLen) / (try runner.prompt(length: promptLen)) })
        }
        var decode: [(Int, Stats)] = []
        if genLen > 0 {
            for b in batchSizes ?? [] {
                _ = try runner.decode(sequences: b, steps: min(genLen, 4))
                let rates = try (0 ..< repetitions).map { _ in Double(b * genLen) / (try runner.decode(sequences: b, steps: genLen)) }
                decode.append((b, Stats(rates)))
            }
        }
        if json {
            var object: [String: Any] = [
                "model": (model as NSString).lastPathComponent,
                "threads": decoderModel.threads,
                "prompt_len": promptLen,
                "gen_len": genLen,
                "repetitions": repetitions,
                "decode": decode.map { ["batch": $0.0, "tokens_per_second": $0.1.mean, "stddev": $0.1.stddev] as [String: Any] },
            ]
            object["prompt_tokens_per_second"] = promptRate.map { $0.mean as Any } ?? NSNull()
            object["prompt_stddev"] = promptRate.map { $0.stddev as Any } ?? NSNull()
            try printJSON(object)
        } else {
            print("model \((model as NSString).lastPathComponent), threads \(decoderModel.threads), \(repetitions) repetitions")
            if let p = promptRate { print(String(format: "prompt %d: %.1f ± %.1f tokens/s", promptLen, p.mean, p.stddev)) }
            for (b, s) in decode {
                print(String(format: "decode %d × %d: %.1f ± %.1f tokens/s", b, genLen, s.mean, s.stddev))
            }
        }
    }
}

/// Mean and sample standard deviation.
struct Stats {
    let mean: Double
    let stddev: Double
    init(_ xs: [Double]) {
        let m = xs.reduce(0, +) / Double(xs.count)
        mean = m
        stddev = xs.count > 1 ? (xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(xs.count - 1)).squareRoot() : 0
    }
}

/// Builds the benchmark's batches and caches and times forward passes.
private struct Runner {
    let model: any LanguageModel
    static let blockSize = 16

    /// Deterministic token ids spread over the vocabulary.
    func token(_ i: Int) -> Int32 { Int32((i &* 2_654_435_761 &+ 12345) % model.vocabularySize) }

    /// Seconds for one `length`-token prompt batch into an empty cache.
    func prompt(length: Int) throws -> Double {
        let blocks = (length + Self.blockSize - 1) / Self.blockSize
        let cache = KVCache(layout: model.kvLayout, blockSize: Self.blockSize, blockCount: blocks)
        let batch = ForwardBatch(tokens: (0 ..< length).map(token), positions: (0 ..< length).map { Int32($0) },
                                 sequenceIndex: [Int32](repeating: 0, count: length), logitRows: [Int32(length - 1)],
                                 sequences: [.init(blockTable: (0 ..< Int32(blocks)).map { $0 })])
        var logits = [Float](repeating: 0, count: model.vocabularySize)
        let start = DispatchTime.now().uptimeNanoseconds
        try logits.withUnsafeMutableBufferPointer { try model.forward(batch, cache: cache, logits: $0) }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Seconds for `steps` decode steps of `sequences` sequences starting from empty caches.
    func decode(sequences: Int, steps: Int) throws -> Double {
        let perSequence = (steps + Self.blockSize - 1) / Self.blockSize
        let cache = KVCache(layout: model.kvLayout, blockSize: Self.blockSize, blockCount: sequences * perSequence)
        var batch = ForwardBatch(sequences: (0 ..< sequences).map { s in
            .init(blockTable: (0 ..< perSequence).map { Int32(s * perSequence + $0) })
        })
        var logits = [Float](repeating: 0, count: sequences * model.vocabularySize)
        var elapsed: UInt64 = 0
        for step in 0 ..< steps {
            batch.tokens = (0 ..< sequences).map { token(step * sequences + $0) }
            batch.positions = [Int32](repeating: Int32(step), count: sequences)
            batch.sequenceIndex = (0 ..< sequences).map { Int32($0) }
            batch.logitRows = (0 ..< sequences).map { Int32($0) }
            let start = DispatchTime.now().uptimeNanoseconds
            try logits.withUnsafeMutableBufferPointer { try model.forward(batch, cache: cache, logits: $0) }
            elapsed += DispatchTime.now().uptimeNanoseconds - start
        }
        return Double(elapsed) / 1e9
    }
}
