/// The offline throughput benchmark behind `swiftlet bench throughput`: submits every request at
/// once (synthetic prompts; exactly `generationLength` tokens each, end-of-generation ignored) and
/// measures from the first submission to the last token.
public struct ThroughputBenchmark: Sendable {
    public var requests: Int
    public var promptLength: Int
    public var generationLength: Int
    /// All prompts identical (exercises the prefix cache) instead of different per request.
    public var sharedPrefix: Bool

    public init(requests: Int, promptLength: Int, generationLength: Int, sharedPrefix: Bool = false) {
        self.requests = requests
        self.promptLength = promptLength
        self.generationLength = generationLength
        self.sharedPrefix = sharedPrefix
    }

    /// Synthetic prompt of request `index`: pseudo-random token ids in 1..<vocabularySize (0 is
    /// left out as it is often a special token), the same for every request with `sharedPrefix`.
    public func prompt(index: Int, vocabularySize: Int) -> [Int32] {
        var rng = SplitMix64(seed: sharedPrefix ? 0 : UInt64(index) &+ 1)
        let span = UInt64(max(vocabularySize - 1, 1))
        return (0 ..< promptLength).map { _ in Int32(1 + rng.next() % span) }
    }

    public func run(on engine: Engine, vocabularySize: Int) async throws -> ThroughputReport {
        let clock = ContinuousClock()
        let start = clock.now
        let streams = try (0 ..< requests).map { i in
            try engine.submit(GenerationRequest(
                promptTokens: prompt(index: i, vocabularySize: vocabularySize), sampling: .greedy,
                stop: StopConditions(maxTokens: generationLength, ignoreEOS: true)))
        }
        // Per request: (time to first token, total latency, generated tokens), in seconds.
        let results = try await withThrowingTaskGroup(of: (Double, Double, Int).self) { group in
            for stream in streams {
                group.addTask {
                    var first: Double?
                    var generated = 0
                    for try await event in stream {
                        if case .token = event {
                            generated += 1
                            if first == nil { first = (clock.now - start).inSeconds }
                        }
                    }
                    return (first ?? (clock.now - start).inSeconds, (clock.now - start).inSeconds, generated)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let elapsed = max((clock.now - start).inSeconds, .leastNonzeroMagnitude)
        let ttft = results.map(\.0).sorted()
        let latency = results.map(\.1).sorted()
        let generated = results.reduce(0) { $0 + $1.2 }
        return ThroughputReport(
            requests: requests, elapsedSeconds: elapsed,
            requestsPerSecond: Double(requests) / elapsed,
            promptTokensPerSecond: Double(requests * promptLength) / elapsed,
            generatedTokensPerSecond: Double(generated) / elapsed,
            ttftP50: percentile(ttft, 0.5), ttftP99: percentile(ttft, 0.99),
            latencyP50: percentile(latency, 0.5), latencyP99: percentile(latency, 0.99))
    }
}

/// Benchmark results; encodes with the keys `swiftlet bench throughput --json` prints.
public struct ThroughputReport: Sendable, Codable, Equatable {
    public var requests: Int
    public var elapsedSeconds: Double
    public var requestsPerSecond: Double
    public var promptTokensPerSecond: Double
    public var generatedTokensPerSecond: Double
    public var ttftP50: Double
    public var ttftP99: Double
    public var latencyP50: Double
    public var latencyP99: Double

    enum CodingKeys: String, CodingKey {
        case requests
        case elapsedSeconds = "elapsed_seconds"
        case requestsPerSecond = "requests_per_second"
        case promptTokensPerSecond = "prompt_tokens_per_second"
        case generatedTokensPerSecond = "generated_tokens_per_second"
        case ttftP50 = "ttft_p50"
        case ttftP99 = "ttft_p99"
        case latencyP50 = "latency_p50"
        case latencyP99 = "latency_p99"
    }
}

extension Duration {
    /// The duration in seconds as a `Double` (for rates and latency reports).
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// Nearest-rank percentile of ascending `values` (0 when empty).
func percentile(_ values: [Double], _ q: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let rank = Int((q * Double(values.count)).rounded(.up))
    return values[min(max(rank, 1), values.count) - 1]
}
