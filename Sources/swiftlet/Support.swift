import ArgumentParser
import Foundation
import GGUF
import Models
import Tokenizer

/// A runtime failure of a command: printed as one line on stderr, exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// The `--threads` check every command that runs a model shares.
func validateThreadCount(_ threads: Int?) throws {
    if let threads, threads < 1 || threads > 1024 { throw ValidationError("--threads must be 1...1024") }
}

/// Prints `object` as one line of JSON with sorted keys.
func printJSON(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

/// A model file opened for a command: the GGUF, the model and its tokenizer.
struct LoadedModel {
    let file: GGUFFile
    let model: any LanguageModel
    let tokenizer: Tokenizer

    /// `threads`: compute threads for the forward pass (default: the machine's core count).
    init(path: String, threads: Int? = nil) throws {
        file = try GGUFFile(path: path)
        model = try ModelRegistry.load(file)
        tokenizer = try Tokenizer(gguf: file)
        if let threads, let decoder = model as? DecoderModel { try decoder.setThreads(threads) }
    }

    /// `text` tokenized as a prompt: BOS if the model adds one (and the text does not already
    /// start with it, as chat templates that write `bos_token` do), special tokens parsed.
    func promptTokens(_ text: String) throws -> [Int32] {
        let bosText = tokenizer.bos.flatMap { tokenizer.text(of: $0) } ?? ""
        let addSpecial = !(tokenizer.addBOS && !bosText.isEmpty && text.hasPrefix(bosText))
        return tokenizer.encode(text, addSpecial: addSpecial, parseSpecial: true)
    }
}
