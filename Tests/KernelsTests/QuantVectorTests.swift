import Foundation
import GGUF
import Testing
import Kernels

/// The 13 types the Foundation issue requires to decode bit-exactly.
let requiredDecodableTypes: [GGMLType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0,
                                          .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

struct DequantCase: Decodable {
    let type: String, source: String, elements: Int, bytes: String, expected: String
}
struct DequantVectors: Decodable { let cases: [DequantCase] }
struct ConversionVector: Decodable { let input: String, expected: String }
struct QuantRow: Decodable { let name: String, input: String, q8_0: String, q8_1: String, q8_K: String }
struct QuantVectors: Decodable { let f32_to_f16: ConversionVector, f32_to_bf16: ConversionVector, rows: [QuantRow] }

/// Checks against data written by scripts/make-quant-vectors.py from gguf-py (see that script).
@Suite struct QuantVectorTests {
    @Test func everyRequiredTypeIsDecodableAndHasVectors() throws {
        let cases = try loadJSON(DequantVectors.self, "dequant.json").cases
        for type in requiredDecodableTypes {
            #expect(type.isDecodable, "\(type)")
            #expect(cases.contains { $0.type == type.description }, "no vector for \(type)")
        }
    }

    @Test func dequantizationMatchesGGUFPyBitForBit() throws {
        let cases = try loadJSON(DequantVectors.self, "dequant.json").cases
        for c in cases {
            let type = try ggmlType(named: c.type)
            let raw = try bytes(hex: c.bytes)
            let expected = try floats(hex: c.expected)
            #expect(expected.count == c.elements)
            #expect(type.rowBytes(elements: c.elements) == raw.count, "\(c.type) \(c.source)")
            let out = try decode(type, raw, count: c.elements)
            let bad = (0..<c.elements).filter { out[$0].bitPattern != expected[$0].bitPattern }
            let first = bad.first.map { "element \($0): \(out[$0]) vs \(expected[$0])" } ?? ""
            #expect(bad.isEmpty, "\(c.type) from \(c.source): \(bad.count) elements differ; \(first)")
        }
    }

    /// Every one of the 65536 half and bfloat16 bit patterns (NaNs, infinities, subnormals included).
    @Test(arguments: [GGMLType.f16, .bf16])
    func allSixteenBitPatternsDecodeLikeNumpy(type: GGMLType) throws {
        let digests = try loadJSON(TensorDigests.self, "digests.json")
        let halves = (0...UInt16.max).map { $0 }
        let out = try decode(type, halves.withUnsafeBytes { Array($0) }, count: halves.count)
        let sha = SHA256()
        out.withUnsafeBytes { sha.update($0) }
        #expect(sha.finalize() == (type == .f16 ? digests.f16_all_sha256 : digests.bf16_all_sha256))
        // The scalar helpers agree with the row kernels.
        for h in halves {
            let scalar = type == .f16 ? HalfFloat.float(fromHalf: h) : HalfFloat.float(fromBFloat16: h)
            #expect(scalar.bitPattern == out[Int(h)].bitPattern)
        }
    }

    @Test(arguments: [GGMLType.f16, .bf16])
    func floatToSixteenBitsRoundsLikeReference(type: GGMLType) throws {
        let vectors = try loadJSON(QuantVectors.self, "quant.json")
        let v = type == .f16 ? vectors.f32_to_f16 : vectors.f32_to_bf16
        let input = try floats(hex: v.input)
        let expected = try bytes(hex: v.expected)
        let out = try encode(type, input)
        #expect(out.count == expected.count)
        let bad: [Int] = (0..<input.count).filter { (i: Int) -> Bool in out[2 * i] != expected[2 * i] || out[2 * i + 1] != expected[2 * i + 1] }
        let first: String = bad.first.map { String(input[$0].bitPattern, radix: 16) } ?? ""
        #expect(bad.isEmpty, "\(bad.count) of \(input.count) differ, first input bits \(first)")
    }

    @Test(arguments: [GGMLType.q8_0, .q8_1, .q8_K])
    func activationQuantizationMatchesReference(type: GGMLType) throws {
        for row in try loadJSON(QuantVectors.self, "quant.json").rows {
            let input = try floats(hex: row.input)
            let expected = try bytes(hex: type == .q8_0 ? row.q8_0 : type == .q8_1 ? row.q8_1 : row.q8_K)
            let out = try encode(type, input)
            let firstBad = zip(out, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(out.count == expected.count && firstBad == nil, "\(type) row \(row.name): first differing byte \(firstBad ?? -1)")
        }
    }

    @Test func unsupportedTypesAndBadCountsThrowNamingTheType() {
        var out = [Float](repeating: 0, count: 256)
        let raw = [UInt8](repeating: 0, count: 1024)
        raw.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { dst in
                #expect(throws: KernelError.unsupportedType(.iq2_xxs, operation: "dequantization")) {
                    try Dequantize.row(.iq2_xxs, src.baseAddress!, into: dst.baseAddress!, count: 256)
                }
                #expect(throws: KernelError.countNotBlockMultiple(.q4_K, count: 100)) {
                    try Dequantize.row(.q4_K, src.baseAddress!, into: dst.baseAddress!, count: 100)
                }
                #expect(throws: KernelError.bufferTooSmall(.q6_K, what: "source", needed: 210, available: 100)) {
                    try Dequantize.row(.q6_K, UnsafeRawBufferPointer(rebasing: src[0..<100]), into: dst)
                }
                #expect(throws: KernelError.unsupportedType(.q4_K, operation: "quantization")) {
                    try Quantize.row(.q4_K, UnsafeBufferPointer(dst), into: UnsafeMutableRawBufferPointer(mutating: src))
                }
            }
        }
        #expect(!GGMLType.iq2_xxs.isDecodable && !GGMLType.q4_K.isEncodable)
        #expect("\(KernelError.unsupportedType(.iq2_xxs, operation: "dequantization"))".contains("IQ2_XXS"))
    }

    @Test func sha256MatchesFIPSVectors() {
        func digest(_ chunks: [[UInt8]]) -> String {
            let sha = SHA256()
            for c in chunks { c.withUnsafeBytes { sha.update($0) } }
            return sha.finalize()
        }
        #expect(digest([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(digest([Array("abc".utf8)]) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(digest([Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)])
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // One million "a" fed in uneven pieces, crossing block boundaries.
        let a = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(digest([Array(a[0..<1]), Array(a[1..<100]), Array(a[100..<333_333]), Array(a[333_333...])])
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
