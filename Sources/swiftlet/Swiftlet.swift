import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Swiftlet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftlet",
        abstract: "LLM inference serving engine for CPUs: GGUF models over an OpenAI-compatible API.",
        subcommands: [
            Inspect.self,
            Score.self,
            ChatTemplateCommand.self,
            Tokenize.self,
            Detokenize.self,
            Generate.self,
            Serve.self,
            Bench.self,
        ])
}

/// Entry point with the project's exit-status contract: 0 on success, 1 on a runtime error (one line
/// on stderr), 2 on a usage error. (ArgumentParser alone would exit 64 for usage errors.)
@main
enum Main {
    static func main() async {
        var command: ParsableCommand
        do {
            command = try Swiftlet.parseAsRoot()
        } catch {
            let code = Swiftlet.exitCode(for: error)
            if code == .success {
                // --help / --version
                print(Swiftlet.fullMessage(for: error))
                exit(0)
            }
            printError(Swiftlet.fullMessage(for: error))
            exit(2)
        }
        do {
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ValidationError {
            printError("error: \(error.message)")
            exit(2)
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch where Swiftlet.exitCode(for: error) == .success {
            print(Swiftlet.fullMessage(for: error))
            exit(0)
        } catch {
            printError("error: \(String(describing: error).split(separator: "\n").first ?? "")")
            exit(1)
        }
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
