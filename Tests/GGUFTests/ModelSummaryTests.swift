import Testing
@testable import GGUF

/// Expected values were read from the files with the `gguf` Python package (`GGUFReader.fields`).
@Suite struct ModelSummaryTests {
    @Test(.enabled(if: TestPaths.exists(Reference.qwen.path)))
    func qwen() throws {
        let s = try GGUFModelSummary(GGUFFile(path: Reference.qwen.path))
        #expect(s.architecture == "qwen2")
        #expect(s.name == "Qwen2.5 Coder 0.5B Instruct AWQ")
        #expect(s.ggufVersion == 3)
        #expect(s.fileSize == 491_400_064)
        #expect(s.parameterCount == 630_167_424)
        #expect(s.tensorCount == 291)
        #expect(s.contextLength == 32768)
        #expect(s.blockCount == 24)
        #expect(s.embeddingLength == 896)
        #expect(s.feedForwardLength == 4864)
        #expect(s.headCount == 14)
        #expect(s.headCountKV == 2)
        #expect(s.headDim == 64) // no key_length: 896 / 14
        #expect(s.slidingWindow == nil)
        #expect(s.rmsNormEpsilon == 1e-6)
        #expect(s.rope == .init(freqBase: 1_000_000))
        #expect(s.tokenizer == .init(model: "gpt2", pre: "qwen2", vocabSize: 151_936, bosTokenID: 151_643, eosTokenID: 151_645,
                                     padTokenID: 151_643, addBOS: false, hasChatTemplate: true))
        #expect(s.tensorTypes == Reference.qwen.tensorTypes)
    }

    @Test(.enabled(if: TestPaths.exists(Reference.gemma.path)))
    func gemma() throws {
        let s = try GGUFModelSummary(GGUFFile(path: Reference.gemma.path))
        #expect(s.architecture == "gemma3")
        #expect(s.name == "Gemma 3 270m")
        #expect(s.fileSize == 253_113_024)
        #expect(s.parameterCount == 268_098_176)
        #expect(s.tensorCount == 236)
        #expect(s.contextLength == 32768)
        #expect(s.blockCount == 18)
        #expect(s.embeddingLength == 640)
        #expect(s.feedForwardLength == 2048)
        #expect(s.headCount == 4)
        #expect(s.headCountKV == 1)
        #expect(s.headDim == 256) // attention.key_length, not 640 / 4
        #expect(s.slidingWindow == 512)
        #expect(s.rmsNormEpsilon == 1e-6)
        #expect(s.rope == .init(freqBase: 1_000_000))
        #expect(s.tokenizer == .init(model: "llama", pre: "default", vocabSize: 262_144, bosTokenID: 2, eosTokenID: 1,
                                     padTokenID: 0, unkTokenID: 3, addBOS: true, addEOS: false, hasChatTemplate: false))
        #expect(s.tensorTypes == Reference.gemma.tensorTypes)
    }

    @Test(.enabled(if: RealFileTests.fixturesPresent))
    func fixtures() throws {
        let spm = try GGUFModelSummary(GGUFFile(path: Reference.fixtures[0].path))
        let bpe = try GGUFModelSummary(GGUFFile(path: Reference.fixtures[1].path))
        let phi = try GGUFModelSummary(GGUFFile(path: Reference.fixtures[2].path))
        for (s, r) in zip([spm, bpe, phi], Reference.fixtures) {
            #expect(s.architecture == r.architecture)
            #expect(s.parameterCount == r.parameterCount)
            #expect(s.tensorTypes == r.tensorTypes)
            #expect(s.contextLength == 1024)
            #expect(s.blockCount == 2)
            #expect(s.embeddingLength == 256)
            #expect(s.feedForwardLength == 768)
            #expect(s.headCount == 4)
            #expect(s.headDim == 64)
            #expect(s.rope.dimensionCount == 64)
        }
        #expect([spm, bpe, phi].map(\.name) == ["fixture-llama-1", "fixture-llama-2", "fixture-phi3-3"])
        #expect([spm, bpe, phi].map(\.headCountKV) == [2, 1, 4])
        #expect([spm, bpe, phi].map(\.rope.freqBase) == [10000, 500_000, 10000])
        #expect(spm.tokenizer == .init(model: "llama", pre: "default", vocabSize: 32000, bosTokenID: 1, eosTokenID: 2,
                                       unkTokenID: 0, addBOS: true, addEOS: false, hasChatTemplate: false))
        #expect(bpe.tokenizer == .init(model: "gpt2", pre: "llama-bpe", vocabSize: 128_256, bosTokenID: 128_000,
                                       eosTokenID: 128_001, hasChatTemplate: false))
        #expect(phi.tokenizer == .init(model: "llama", pre: "default", vocabSize: 32064, bosTokenID: 1, eosTokenID: 32000,
                                       padTokenID: 32000, unkTokenID: 0, addBOS: true, addEOS: false, hasChatTemplate: true))
    }

    /// Keys the real files lack: rope scaling, eot, key_length; and a key of the wrong type.
    @Test func optionalKeysFromBuiltFile() throws {
        var b = GGUFBuilder()
        b.kvs = [
            .value("general.architecture", .string("llama")),
            .value("llama.attention.head_count", .uint32(8)),
            .value("llama.embedding_length", .uint32(512)),
            .value("llama.attention.key_length", .uint32(128)),
            .value("llama.rope.scaling.type", .string("yarn")),
            .value("llama.rope.scaling.factor", .float32(4)),
            .value("llama.rope.scaling.original_context_length", .uint32(8192)),
            .value("tokenizer.ggml.eot_token_id", .int32(9)),
            .value("tokenizer.ggml.tokens", .array(.string(["a", "b", "c"]))),
        ]
        b.tensors = [.init("x", [32, 4], .q4_0), .init("y", [7], .f32)]
        let s = try GGUFModelSummary(load(b.build().bytes))
        #expect(s.headDim == 128)
        #expect(s.rope == .init(scalingType: "yarn", scalingFactor: 4, originalContextLength: 8192))
        #expect(s.tokenizer == .init(vocabSize: 3, eotTokenID: 9, hasChatTemplate: false))
        #expect(s.parameterCount == 135)
        #expect(s.tensorTypes == ["Q4_0": 1, "F32": 1])
        #expect(s.blockCount == nil)

        b.kvs.append(.value("llama.block_count", .string("24")))
        #expect(throws: GGUFError.wrongType(key: "llama.block_count", expected: "integer", found: "string")) {
            try GGUFModelSummary(load(b.build().bytes))
        }
        b.kvs = [.value("general.name", .string("no architecture"))]
        #expect(throws: GGUFError.missingKey("general.architecture")) { try GGUFModelSummary(load(b.build().bytes)) }
    }
}
