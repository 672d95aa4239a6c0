import ArgumentParser
import Engine
import Foundation
import Models

/// `swiftlet bench throughput`: the offline engine benchmark (all requests submitted at once).
struct BenchThroughput: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throughput",
        abstract: "Offline throughput of the engine: N requests submitted at once, fixed prompt and output lengths.",
        discussion: """
            Prompts are synthetic token ids (different per request unless --shared-prefix); each
            request generates exactly --gen-len tokens (end of generation ignored). --json prints
            requests_per_second, prompt_tokens_per_second, generated_tokens_per_second, ttft_p50,
            ttft_p99 (seconds) and more.
            """)

    @Option(help: "Path to a .gguf model.") var model: String
    @Option(help: "Number of requests.") var requests: Int = 32
    @Option(help: "Prompt tokens per request.") var promptLen: Int = 128
    @Option(help: "Generated tokens per request.") var genLen: Int = 128
    @Option(help: "Most sequences running at once.") var maxSeqs: Int = 32
    @Option(help: "Most tokens per forward pass.") var maxBatchTokens: Int = 512
    @Option(help: "KV cache size in MiB.") var kvCacheMb: Int = 1024
    @Flag(help: "Give every request the same prompt (exercises the prefix cache).") var sharedPrefix = false
    @Option(help: "Compute threads (default: the machine's core count).") var threads: Int?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        try validateThreadCount(threads)
        guard (1 ... 100_000).contains(requests) else { throw ValidationError("--requests must be 1...100000") }
        guard (1 ... 1_000_000).contains(promptLen) else { throw ValidationError("--prompt-len must be 1...1000000") }
        guard (1 ... 1_000_000).contains(genLen) else { throw ValidationError("--gen-len must be 1...1000000") }
        guard (1 ... 4096).contains(maxSeqs) else { throw ValidationError("--max-seqs must be 1...4096") }
        guard maxBatchTokens >= maxSeqs else { throw ValidationError("--max-batch-tokens must be at least --max-seqs") }
        guard (1 ... 1 << 20).contains(kvCacheMb) else { throw ValidationError("--kv-cache-mb must be 1...1048576") }
    }

    func run() async throws {
        let loaded = try LoadedModel(path: model, threads: threads)
        let engine = try Engine(model: loaded.model, configuration: EngineConfiguration(
            kvCacheBytes: kvCacheMb << 20, maxBatchTokens: maxBatchTokens, maxRunningSequences: maxSeqs))
        let bench = ThroughputBenchmark(requests: requests, promptLength: promptLen, generationLength: genLen,
                                        sharedPrefix: sharedPrefix)
        let report = try await bench.run(on: engine, vocabularySize: loaded.model.vocabularySize)
        await engine.shutdown()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(report) + Data("\n".utf8))
        } else {
            print(String(format: "%d requests × (%d prompt + %d generated) tokens in %.2f s",
                         requests, promptLen, genLen, report.elapsedSeconds))
            print(String(format: "requests/s %.3f   prompt tokens/s %.1f   generated tokens/s %.1f",
                         report.requestsPerSecond, report.promptTokensPerSecond, report.generatedTokensPerSecond))
            print(String(format: "TTFT p50 %.3f s  p99 %.3f s   latency p50 %.3f s  p99 %.3f s",
                         report.ttftP50, report.ttftP99, report.latencyP50, report.latencyP99))
        }
    }
}
