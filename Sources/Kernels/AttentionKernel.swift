import CKernels

/// Entry point to the C attention kernel (`ck_attention.h`): flash-style online softmax over a paged
/// f16 KV cache, threaded over (token, kv head) on the scratch's worker pool.
public enum AttentionKernel {
    /// Runs `swiftlet_attention` with `args` (pointers must stay valid for the call) on `scratch`'s
    /// pool and instruction set.
    public static func run(_ args: inout swiftlet_attention_args, on scratch: MatMulScratch) {
        swiftlet_attention(scratch.pool.raw, scratch.isa.rawValue, &args)
    }
}
