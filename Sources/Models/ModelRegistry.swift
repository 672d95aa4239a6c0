import GGUF

/// Maps `general.architecture` to the model type that implements it.
public enum ModelRegistry {
    private static let constructors: [String: @Sendable (GGUFFile) throws(ModelError) -> any LanguageModel] = [
        "llama": { (f: GGUFFile) throws(ModelError) in try LlamaModel(file: f) },
        "qwen2": { (f: GGUFFile) throws(ModelError) in try Qwen2Model(file: f) },
        "phi3": { (f: GGUFFile) throws(ModelError) in try Phi3Model(file: f) },
        "gemma3": { (f: GGUFFile) throws(ModelError) in try Gemma3Model(file: f) },
    ]

    public static var architectures: [String] { constructors.keys.sorted() }

    /// Builds the model a GGUF file describes. Weights stay in the file's memory map, so `file`
    /// must outlive the model (the model keeps a reference to it).
    public static func load(_ file: GGUFFile) throws(ModelError) -> any LanguageModel {
        let arch: String
        do { arch = try file.metadata.string("general.architecture") } catch { throw .file(error) }
        guard let make = constructors[arch] else { throw .unsupportedArchitecture(arch) }
        return try make(file)
    }

    public static func load(path: String) throws(ModelError) -> any LanguageModel {
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch { throw .file(error) }
        return try load(file)
    }
}
