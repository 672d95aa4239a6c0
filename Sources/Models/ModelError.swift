import GGUF
import Kernels

/// Why a model could not be loaded or run.
public enum ModelError: Error, Sendable, CustomStringConvertible {
    case file(GGUFError)
    case unsupportedArchitecture(String)
    case missingTensor(String)
    case tensorShape(name: String, expected: [Int], found: [Int])
    case unsupportedTensorType(name: String, type: GGMLType)
    case badHyperparameter(key: String, value: String, reason: String)
    case kernel(KernelError)

    public var description: String {
        switch self {
        case let .file(e): return e.description
        case let .unsupportedArchitecture(a):
            return "unsupported model architecture '\(a)' (supported: \(ModelRegistry.architectures.joined(separator: ", ")))"
        case let .missingTensor(name): return "model is missing tensor '\(name)'"
        case let .tensorShape(name, expected, found): return "tensor '\(name)' has shape \(found), expected \(expected)"
        case let .unsupportedTensorType(name, type): return "tensor '\(name)' has type \(type), which Swiftlet cannot decode"
        case let .badHyperparameter(key, value, reason): return "bad hyperparameter \(key) = \(value): \(reason)"
        case let .kernel(e): return "\(e)"
        }
    }
}
