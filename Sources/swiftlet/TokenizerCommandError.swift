/// A runtime failure of `tokenize`/`detokenize` with a one-line message (exit status 1).
struct TokenizerCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
