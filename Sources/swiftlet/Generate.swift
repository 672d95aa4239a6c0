import ArgumentParser
import Engine
import Foundation
import Models
import Tokenizer

struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text from a prompt, streaming it to stdout.",
        discussion: """
            The prompt comes from --prompt or standard input. With --chat it becomes one user
            message rendered with the model's chat template (ChatML if the model has none);
            otherwise it is tokenized as is (BOS if the model adds one, special tokens parsed).
            Sampling defaults follow llama.cpp (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05);
            --temperature 0 is greedy. Timing goes to stderr; --json prints one object instead:
            {"prompt_tokens", "tokens", "text", "finish_reason", "prompt_tokens_per_second", "tokens_per_second"}.
            """)

    @Option(help: "Path to a .gguf model.") var model: String
    @Option(help: "Prompt text (default: read standard input).") var prompt: String?
    @Flag(help: "Apply the model's chat template to the prompt as one user message.") var chat = false
    @Option(help: "Chat template file to use instead of the model's.") var template: String?
    @Option(name: [.customShort("n"), .long], help: "Most tokens to generate.") var maxTokens = 256
    @Option(help: "Sampling temperature (0 = greedy).") var temperature: Float = 0.8
    @Option(help: "Top-k (0 = off).") var topK = 40
    @Option(help: "Top-p (1 = off).") var topP: Float = 0.95
    @Option(help: "Min-p (0 = off).") var minP: Float = 0.05
    @Option(help: "Repetition penalty (1 = off).") var repeatPenalty: Float = 1
    @Option(help: "Presence penalty.") var presencePenalty: Float = 0
    @Option(help: "Frequency penalty.") var frequencyPenalty: Float = 0
    @Option(help: "Random seed (same seed and inputs, same tokens).") var seed: UInt64?
    @Option(help: "Stop string (repeatable).") var stop: [String] = []
    @Flag(help: "Keep generating past end-of-generation tokens.") var ignoreEos = false
    @Option(help: "Compute threads (default: the machine's core count).") var threads: Int?
    @Flag(help: "Print one JSON object at the end instead of streaming.") var json = false

    func validate() throws {
        try validateThreadCount(threads)
        guard maxTokens >= 1 else { throw ValidationError("-n must be at least 1") }
        guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temperature must be ≥ 0") }
        guard topK >= 0 else { throw ValidationError("--top-k must be ≥ 0") }
        guard topP > 0, topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
        guard minP >= 0, minP <= 1 else { throw ValidationError("--min-p must be in [0, 1]") }
        guard repeatPenalty > 0, repeatPenalty.isFinite else { throw ValidationError("--repeat-penalty must be > 0") }
    }

    func run() async throws {
        let text = try prompt ?? readStandardInput()
        let loaded = try LoadedModel(path: model, threads: threads)
        var promptText = text
        if chat {
            let source = try template.map { try String(contentsOfFile: $0, encoding: .utf8) }
            let chatTemplate = try ChatTemplate(gguf: loaded.file, source: source)
            promptText = try chatTemplate.render([ChatMessage(role: "user", text: text)], addGenerationPrompt: true)
        }
        let promptTokens = try loaded.promptTokens(promptText)
        guard !promptTokens.isEmpty else { throw CLIError("the prompt has no tokens") }
        let m = loaded.model
        guard promptTokens.count + maxTokens <= m.contextLength else {
            throw CLIError("prompt has \(promptTokens.count) tokens; with -n \(maxTokens) that exceeds the context length \(m.contextLength)")
        }
        // One sequence: a KV pool just large enough for it, plus the reserved null block.
        let blockSize = 16
        let blocks = (promptTokens.count + maxTokens + blockSize - 1) / blockSize + 1
        let engine = try Engine(
            model: m,
            configuration: EngineConfiguration(
                kvCacheBytes: blocks * KVCache.bytesPerBlock(layout: m.kvLayout, blockSize: blockSize),
                blockSize: blockSize, maxBatchTokens: 512, maxRunningSequences: 1,
                endOfGenerationTokens: loaded.tokenizer.endOfGenerationTokens),
            detokenizer: loaded.tokenizer)
        let sampling = SamplingParameters(
            temperature: temperature, topK: topK, topP: topP, minP: minP, repetitionPenalty: repeatPenalty,
            presencePenalty: presencePenalty, frequencyPenalty: frequencyPenalty, seed: seed)
        let clock = ContinuousClock()
        let start = clock.now
        var firstToken: ContinuousClock.Instant?
        var tokens: [Int32] = []
        var output = ""
        var finish = FinishReason.length
        for try await event in try engine.submit(GenerationRequest(
            promptTokens: promptTokens, sampling: sampling,
            stop: StopConditions(maxTokens: maxTokens, stopStrings: stop, ignoreEOS: ignoreEos))) {
            switch event {
            case let .token(t):
                if firstToken == nil { firstToken = clock.now }
                if !loaded.tokenizer.isEndOfGeneration(t.id) || ignoreEos { tokens.append(t.id) }
                output += t.text
                if !json { FileHandle.standardOutput.write(Data(t.text.utf8)) }
            case let .finished(summary):
                finish = summary.finishReason
            }
        }
        let end = clock.now
        await engine.shutdown()
        let promptSeconds = ((firstToken ?? end) - start).inSeconds
        let decodeSeconds = (end - (firstToken ?? end)).inSeconds
        let promptRate = Double(promptTokens.count) / max(promptSeconds, 1e-9)
        let decodeRate = tokens.count > 1 ? Double(tokens.count - 1) / max(decodeSeconds, 1e-9) : 0
        if json {
            try printJSON([
                "prompt_tokens": promptTokens.map { Int($0) }, "tokens": tokens.map { Int($0) }, "text": output,
                "finish_reason": finish.rawValue, "prompt_tokens_per_second": promptRate, "tokens_per_second": decodeRate,
            ])
        } else {
            print()
            printError(String(format: "prompt: %d tokens, %.1f tokens/s; generated: %d tokens, %.1f tokens/s; finish: %@",
                              promptTokens.count, promptRate, tokens.count, decodeRate, finish.rawValue))
        }
    }
}

func readStandardInput() throws -> String {
    let data = FileHandle.standardInput.readDataToEndOfFile()
    guard let s = String(data: data, encoding: .utf8) else { throw CLIError("standard input is not valid UTF-8") }
    return s
}
