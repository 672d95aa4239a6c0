import ArgumentParser
import Foundation
import GGUF
import Jinja
import Tokenizer

struct ChatTemplateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat-template",
        abstract: "Render a conversation with a model's chat template and print the prompt.",
        discussion: """
            The messages file holds a JSON array of OpenAI-style messages ({"role": …, "content": …}). \
            A model without an embedded template uses ChatML (a note says so on stderr). \
            strftime_now() formats the current local time, as in Hugging Face.
            """)

    @Option(help: "Path to a .gguf file (its template and BOS/EOS token strings are used).") var model: String
    @Option(help: "JSON file with the array of messages.") var messages: String
    @Flag(help: "End with the header of an assistant turn.") var addGenerationPrompt = false
    @Option(help: "Jinja template file to use instead of the model's.") var template: String?
    @Option(help: "JSON file with an array of tool definitions, passed as `tools`.") var tools: String?
    @Flag(help: "Print one JSON object: {\"prompt\": …, \"fallback\": …}.") var json = false

    func run() async throws {
        let file = try GGUFFile(path: model)
        let chatTemplate = try ChatTemplate(gguf: file, source: try template.map { try readText($0, what: "template") })
        let conversation = try ChatMessage.array(json: try readText(messages, what: "messages"))
        var toolList: [JinjaValue]?
        if let tools {
            guard case let .array(list) = try JinjaValue(json: try readText(tools, what: "tools")) else {
                throw CLIError("\(tools): tools must be a JSON array")
            }
            toolList = list
        }
        let prompt = try chatTemplate.render(conversation, addGenerationPrompt: addGenerationPrompt, tools: toolList, now: Date())
        if json {
            try printJSON(["prompt": prompt, "fallback": chatTemplate.isFallback])
            return
        }
        if chatTemplate.isFallback {
            printError("note: \(model) has no chat template; using ChatML")
        }
        FileHandle.standardOutput.write(Data(prompt.utf8))
    }

    private func readText(_ path: String, what: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CLIError("cannot read \(what) file \(path): \(error.localizedDescription)")
        }
    }
}
