import Testing
@testable import Engine

@Suite struct StopStringFilterTests {
    /// Streams `deltas` through a filter; returns what was emitted and whether it stopped.
    private func run(_ deltas: [String], stops: [String]) -> (emitted: [String], stopped: Bool) {
        var f = StopStringFilter(stopStrings: stops)
        var out: [String] = []
        for d in deltas {
            let r = f.push(d, matchStops: true)
            out.append(r.text)
            if r.stopped { return (out, true) }
        }
        out.append(f.flush())
        return (out, false)
    }

    @Test func stopTextSpanningDeltasIsNeverEmitted() {
        let r = run(["Hel", "lo ST", "O", "P now"], stops: ["STOP"])
        #expect(r.stopped)
        #expect(r.emitted == ["Hel", "lo ", "", ""])
    }

    @Test func aFalseStartIsReleased() {
        let r = run(["a S", "T", "x", "y"], stops: ["STOP"])
        #expect(!r.stopped)
        #expect(r.emitted == ["a ", "", "STx", "y", ""])
        #expect(r.emitted.joined() == "a STxy")
    }

    @Test func earliestOfSeveralStopsWins() {
        let r = run(["xx END and STOP"], stops: ["STOP", "END"])
        #expect(r.stopped && r.emitted == ["xx "])
    }

    @Test func heldTextIsFlushedAtTheEnd() {
        let r = run(["abc", "ST"], stops: ["STOP"])
        #expect(!r.stopped && r.emitted == ["abc", "", "ST"])
    }

    @Test func multiByteCharactersStayWhole() {
        let r = run(["café", "é!"], stops: ["é!"])
        #expect(r.stopped && r.emitted.joined() == "café")
    }
}
