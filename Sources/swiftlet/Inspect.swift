import ArgumentParser
import Foundation
import GGUF

struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a GGUF model's architecture, sizes and tokenizer.")
    @Argument(help: "Path to a .gguf file.") var model: String
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: "List every tensor (name, type, shape, bytes).") var tensors = false

    func run() async throws {
        let file = try GGUFFile(path: model)
        let summary = try GGUFModelSummary(file)
        if json {
            // The summary's Codable form, plus the tensor list, printed like every other --json.
            var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(summary)) as? [String: Any] ?? [:]
            if tensors {
                // shape in GGML order (row length first); offset relative to the data section
                object["tensors"] = file.tensors.map {
                    ["name": $0.name, "type": $0.type.description, "shape": $0.shape, "bytes": $0.byteCount, "offset": $0.offset] as [String: Any]
                }
            }
            try printJSON(object)
        } else {
            print(Self.text(summary, metadataKeys: file.metadata.keys.count))
            if tensors { print(Self.tensorTable(file.tensors)) }
        }
    }

    /// One "label  value" line per fact the file states; absent facts are left out.
    static func text(_ s: GGUFModelSummary, metadataKeys: Int) -> String {
        var rows: [(String, String)] = [("architecture", s.architecture)]
        if let n = s.name { rows.append(("name", n)) }
        rows.append(("parameters", "\(scaled(Double(s.parameterCount), 1000, ["", "K", "M", "B", "T"])) (\(s.parameterCount))"))
        rows.append(("file size", "\(scaled(Double(s.fileSize), 1024, [" B", " KiB", " MiB", " GiB", " TiB"])) (\(s.fileSize) bytes)"))
        rows.append(("gguf", "v\(s.ggufVersion), \(s.tensorCount) tensors, \(metadataKeys) metadata keys"))
        if let v = s.contextLength { rows.append(("context length", "\(v)")) }
        if let v = s.blockCount { rows.append(("layers", "\(v)")) }
        if let v = s.embeddingLength { rows.append(("embedding", "\(v)")) }
        if let v = s.feedForwardLength { rows.append(("feed-forward", "\(v)")) }
        if let h = s.headCount {
            var line = "\(h)"
            if let kv = s.headCountKV { line += " (kv \(kv))" }
            if let d = s.headDim { line += ", head dim \(d)" }
            rows.append(("heads", line))
        }
        if let v = s.rmsNormEpsilon { rows.append(("rms norm eps", "\(v)")) }
        var rope = [String]()
        if let v = s.rope.freqBase { rope.append("freq_base \(v)") }
        if let v = s.rope.dimensionCount { rope.append("dimension_count \(v)") }
        if let v = s.rope.scalingType { rope.append("scaling \(v)") }
        if let v = s.rope.scalingFactor { rope.append("factor \(v)") }
        if let v = s.rope.originalContextLength { rope.append("original context \(v)") }
        if !rope.isEmpty { rows.append(("rope", rope.joined(separator: ", "))) }
        if let v = s.slidingWindow { rows.append(("sliding window", "\(v)")) }
        let t = s.tokenizer
        var tok = t.model ?? "(none)"
        if let p = t.pre { tok += " (pre \(p))" }
        if let v = t.vocabSize { tok += ", vocab \(v)" }
        rows.append(("tokenizer", tok))
        let ids = [("bos", t.bosTokenID), ("eos", t.eosTokenID), ("eot", t.eotTokenID), ("pad", t.padTokenID), ("unk", t.unkTokenID)]
            .compactMap { name, id in id.map { "\(name) \($0)" } }
        if !ids.isEmpty { rows.append(("special tokens", ids.joined(separator: ", "))) }
        let flags = [("add_bos", t.addBOS), ("add_eos", t.addEOS)].compactMap { name, b in b.map { "\(name) \($0)" } }
        if !flags.isEmpty { rows.append(("token flags", flags.joined(separator: ", "))) }
        rows.append(("chat template", t.hasChatTemplate ? "present" : "absent"))
        let types = s.tensorTypes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        rows.append(("tensor types", types.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n")
    }

    static func tensorTable(_ tensors: [GGUFTensorInfo]) -> String {
        let rows = [["name", "type", "shape", "bytes"]]
            + tensors.map { [$0.name, $0.type.description, $0.shape.map(String.init).joined(separator: "x"), "\($0.byteCount)"] }
        let widths = (0 ..< 4).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in
                c == 3 ? String(repeating: " ", count: widths[c] - cell.count) + cell // right-align numbers
                    : cell.padding(toLength: widths[c] + 2, withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n")
    }

    /// `value` in the largest unit of `units` (each `step` times the previous) that keeps it >= 1.
    static func scaled(_ value: Double, _ step: Double, _ units: [String]) -> String {
        var v = value, i = 0
        while v >= step, i < units.count - 1 { v /= step; i += 1 }
        return i == 0 ? "\(Int(value))\(units[0])" : String(format: "%.2f%@", v, units[i])
    }
}
