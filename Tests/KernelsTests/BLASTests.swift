import CBLAS
import Testing

/// OpenBLAS is linked and computes C = A·Bᵀ on an odd-shaped product like a naive loop.
@Suite struct BLASTests {
    @Test func sgemmMatchesNaiveLoop() {
        let m = 7, n = 5, k = 13
        var rng = SeededGenerator(state: 42)
        let a = rng.normals(m * k)  // [m, k] row-major
        let b = rng.normals(n * k)  // [n, k] row-major, used transposed
        var c = [Float](repeating: .nan, count: m * n)  // [m, n]
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(k), b, Int32(k), 0, &c, Int32(n))
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0, magnitude = 0.0
                for l in 0..<k {
                    sum += Double(a[i * k + l]) * Double(b[j * k + l])
                    magnitude += abs(Double(a[i * k + l]) * Double(b[j * k + l]))
                }
                #expect(abs(Double(c[i * n + j]) - sum) <= 1e-6 * magnitude, "c[\(i), \(j)]")
            }
        }
    }
}
