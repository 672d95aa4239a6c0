import ArgumentParser

struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a GGUF model's architecture, sizes and tokenizer.")
    @Argument(help: "Path to a .gguf file.") var model: String
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: "List every tensor.") var tensors = false
    func run() async throws {
        throw CleanExit.message("not implemented yet")
    }
}
