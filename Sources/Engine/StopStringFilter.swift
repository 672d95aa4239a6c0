/// Holds back generated text that might be the start of a stop string, so stop text is never
/// streamed. Matching works on UTF-8 bytes: both sides are valid UTF-8, so a byte match always
/// starts on a character boundary.
struct StopStringFilter {
    private let stops: [[UInt8]]
    private var pending: [UInt8] = []   // decoded, not yet streamed

    init(stopStrings: [String]) {
        stops = stopStrings.map { Array($0.utf8) }.filter { !$0.isEmpty }
    }

    /// Adds `delta`; returns the text that is now safe to stream and whether a stop string
    /// completed (then nothing from the stop string on is returned, now or later).
    mutating func push(_ delta: String, matchStops: Bool) -> (text: String, stopped: Bool) {
        pending.append(contentsOf: delta.utf8)
        guard matchStops && !stops.isEmpty else { return (flush(), false) }
        if let at = earliestMatch() {
            let text = String(decoding: pending[..<at], as: UTF8.self)
            pending.removeAll()
            return (text, true)
        }
        let held = longestPartialMatch()
        let text = String(decoding: pending[..<(pending.count - held)], as: UTF8.self)
        pending.removeFirst(pending.count - held)
        return (text, false)
    }

    /// Everything held back, for a request that ends for another reason.
    mutating func flush() -> String {
        defer { pending.removeAll(keepingCapacity: true) }
        return String(decoding: pending, as: UTF8.self)
    }

    private func earliestMatch() -> Int? {
        var best: Int?
        for s in stops where s.count <= pending.count {
            for i in 0 ... (pending.count - s.count) where best.map({ i < $0 }) ?? true {
                if pending[i ..< i + s.count].elementsEqual(s) { best = i; break }
            }
        }
        return best
    }

    /// Length of the longest suffix of `pending` that is a proper prefix of some stop string.
    private func longestPartialMatch() -> Int {
        var best = 0
        for s in stops {
            var k = min(s.count - 1, pending.count)
            while k > best {
                if pending[(pending.count - k)...].elementsEqual(s[..<k]) { best = k; break }
                k -= 1
            }
        }
        return best
    }
}
