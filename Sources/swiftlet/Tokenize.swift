import ArgumentParser
import Foundation
import Engine
import GGUF
import Tokenizer

struct Tokenize: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the token ids of TEXT.",
        discussion: """
            BOS (and EOS) are added when the model asks for them (tokenizer.ggml.add_bos_token), as \
            llama.cpp's llama-tokenize does. Special tokens such as <|im_start|> are tokenized as plain \
            text unless --special is given.
            """)
    @Option(help: "Path to a .gguf model (only its tokenizer metadata is used).") var model: String
    @Flag(help: "Recognise special tokens (e.g. <|im_start|>) written in the text.") var special = false
    @Flag(help: "Print a JSON array instead of space-separated ids.") var json = false
    @Option(help: "Read the text from this file instead of the argument.") var file: String?
    @Flag(help: "Tokenize the text repeatedly and print the throughput instead of ids.") var benchmark = false
    @Argument(help: "The text to tokenize.") var text: String?

    func validate() throws {
        if (text == nil) == (file == nil) { throw ValidationError("give either TEXT or --file") }
    }

    func run() async throws {
        let input: String
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
            input = String(decoding: data, as: UTF8.self)
        } else {
            input = text ?? ""
        }
        let loadStart = ContinuousClock.now
        let tokenizer = try Tokenizer(gguf: GGUFFile(path: model))
        let loadTime = ContinuousClock.now - loadStart
        if benchmark {
            try runBenchmark(tokenizer, input, loadTime: loadTime)
            return
        }
        let ids = tokenizer.encode(input, addSpecial: true, parseSpecial: special)
        if json {
            print("[" + ids.map(String.init).joined(separator: ",") + "]")
        } else {
            print(ids.map(String.init).joined(separator: " "))
        }
    }

    private func runBenchmark(_ tokenizer: Tokenizer, _ input: String, loadTime: Duration) throws {
        let bytes = Double(input.utf8.count)
        var best = Double.infinity
        var count = 0
        for _ in 0 ..< 3 {
            let start = ContinuousClock.now
            count = tokenizer.encode(input, addSpecial: false, parseSpecial: special).count
            let elapsed = ContinuousClock.now - start
            best = min(best, elapsed.inSeconds)
        }
        let load = loadTime.inSeconds
        let mbps = bytes / 1e6 / best
        if json {
            print("{\"bytes\":\(Int(bytes)),\"tokens\":\(count),\"seconds\":\(best),\"mb_per_s\":\(mbps),\"load_seconds\":\(load)}")
        } else {
            print(String(format: "%d bytes -> %d tokens in %.3f s: %.2f MB/s (vocab load %.3f s)", Int(bytes), count, best, mbps, load))
        }
    }
}
