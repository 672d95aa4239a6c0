import GGUF
import Kernels

/// Looks tensors up by name and checks their shapes before a model keeps pointers into the file.
struct WeightLoader {
    let file: GGUFFile

    func has(_ name: String) -> Bool { file.tensor(named: name) != nil }

    /// A `[rows, columns]` matrix (GGML shape `[columns, rows]`), left in the mapped file.
    func matrix(_ name: String, rows: Int, columns: Int) throws(ModelError) -> WeightMatrix {
        guard let t = file.tensor(named: name) else { throw .missingTensor(name) }
        guard t.shape == [columns, rows] else { throw .tensorShape(name: name, expected: [columns, rows], found: t.shape) }
        guard t.type.isDecodable else { throw .unsupportedTensorType(name: name, type: t.type) }
        return WeightMatrix(type: t.type, rows: rows, columns: columns, data: file.data(of: t).baseAddress!)
    }

    func optionalMatrix(_ name: String, rows: Int, columns: Int) throws(ModelError) -> WeightMatrix? {
        has(name) ? try matrix(name, rows: rows, columns: columns) : nil
    }

    /// A 1-D tensor (norm weights, biases) decoded to f32 and copied: these are tiny.
    func vector(_ name: String, count: Int) throws(ModelError) -> [Float] {
        guard let t = file.tensor(named: name) else { throw .missingTensor(name) }
        guard t.shape == [count] else { throw .tensorShape(name: name, expected: [count], found: t.shape) }
        guard t.type.isDecodable else { throw .unsupportedTensorType(name: name, type: t.type) }
        var out = [Float](repeating: 0, count: count)
        do {
            try out.withUnsafeMutableBufferPointer { (o: inout UnsafeMutableBufferPointer<Float>) throws(KernelError) in
                try Dequantize.row(t.type, file.data(of: t).baseAddress!, into: o.baseAddress!, count: count)
            }
        } catch {
            throw .kernel(error)
        }
        return out
    }

    func optionalVector(_ name: String, count: Int) throws(ModelError) -> [Float]? {
        has(name) ? try vector(name, count: count) : nil
    }
}
