import ArgumentParser
import GGUF
import Tokenizer

struct Detokenize: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the text of token ids.",
        discussion: "Control tokens (BOS, <|im_end|> …) are hidden unless --special is given.")
    @Option(help: "Path to a .gguf model (only its tokenizer metadata is used).") var model: String
    @Flag(help: "Show control tokens as their text.") var special = false
    @Argument(help: "Token ids.") var ids: [Int32] = []

    func run() async throws {
        let tokenizer = try Tokenizer(gguf: GGUFFile(path: model))
        if let bad = ids.first(where: { !tokenizer.isValid($0) }) {
            throw CLIError("token id \(bad) is out of range (vocabulary size \(tokenizer.vocabularySize))")
        }
        print(tokenizer.decode(ids, showSpecial: special))
    }
}
