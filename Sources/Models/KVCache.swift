/// Paged KV memory: one pool of `blockCount` fixed-size blocks allocated once. The pool only stores
/// data; which sequence owns which block is the engine's business (its block manager).
///
/// Layout per layer: K and V each `[blockCount, blockSize, kvHeads * headDim]` in f16, so a
/// block's keys for one layer are contiguous and attention streams them block by block.
public final class KVCache: @unchecked Sendable {
    public let layout: KVLayout
    public let blockSize: Int
    public let blockCount: Int
    private let storage: UnsafeMutablePointer<Float16>
    private let layerStride: Int   // elements of K (or V) for one layer

    /// Bytes one block takes across all layers, K and V.
    public static func bytesPerBlock(layout: KVLayout, blockSize: Int) -> Int {
        2 * layout.layerCount * blockSize * layout.rowElements * MemoryLayout<Float16>.size
    }

    public init(layout: KVLayout, blockSize: Int, blockCount: Int) {
        self.layout = layout
        self.blockSize = blockSize
        self.blockCount = blockCount
        layerStride = blockCount * blockSize * layout.rowElements
        let total = 2 * layout.layerCount * layerStride
        storage = .allocate(capacity: max(total, 1))
        storage.initialize(repeating: 0, count: max(total, 1))
    }

    deinit { storage.deallocate() }

    public var byteCount: Int { Self.bytesPerBlock(layout: layout, blockSize: blockSize) * blockCount }

    /// Keys of `layer`: `[blockCount, blockSize, kvHeads * headDim]`.
    public func keys(layer: Int) -> UnsafeMutablePointer<Float16> { storage + (2 * layer) * layerStride }
    /// Values of `layer`: `[blockCount, blockSize, kvHeads * headDim]`.
    public func values(layer: Int) -> UnsafeMutablePointer<Float16> { storage + (2 * layer + 1) * layerStride }

    /// Copies every layer's K/V of block `source` to block `destination` (copy-on-write of a
    /// partially filled shared block).
    public func copyBlock(from source: Int, to destination: Int) {
        let n = blockSize * layout.rowElements
        for layer in 0 ..< layout.layerCount {
            (keys(layer: layer) + destination * n).update(from: keys(layer: layer) + source * n, count: n)
            (values(layer: layer) + destination * n).update(from: values(layer: layer) + source * n, count: n)
        }
    }
}
