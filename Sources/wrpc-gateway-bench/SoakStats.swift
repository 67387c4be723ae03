import Locking

/// What the 64 soak callers did since the last row, collected under a lock
/// (a few thousand calls a second: the lock is not what is measured).
final class SoakStats: Sendable {
    struct Window {
        var calls = 0
        var byKind: [SoakCall: Int] = [:]
        /// Microseconds of the `hello` calls answered 200.
        var helloLatencies: [Double] = []
        /// Errors in a fault's window with what that fault should give, by status ("cut" for a cut stream).
        var expected: [String: Int] = [:]
        /// Every other error, by status or "cut"/"io".
        var unexpected: [String: Int] = [:]
    }

    /// One unexpected error, for the listing after the table.
    struct Surprise {
        let seconds: Double
        let call: SoakCall
        let what: String
        let fault: SoakFault?
    }

    private let window = Locked(Window())
    private let surprises = Locked<(count: Int, first: [Surprise])>((0, []))

    func record(_ call: SoakCall, _ outcome: SoakCall.Outcome, microseconds: Double, fault: SoakFault?, at seconds: Double) {
        var surprise: String?
        window.withLock { w in
            w.calls += 1
            w.byKind[call, default: 0] += 1
            switch outcome {
            case .ok:
                if call == .hello { w.helloLatencies.append(microseconds) }
            case .status(let status):
                if let fault, SoakFault.expectedStatuses.contains(status), call != .refused || fault == .refuse {
                    w.expected["\(status)", default: 0] += 1
                } else {
                    w.unexpected["\(status)", default: 0] += 1
                    surprise = "status \(status)"
                }
            case .cut(let reason):
                if let fault, fault.cutsStreams, call != .hello {
                    w.expected["cut", default: 0] += 1
                } else {
                    w.unexpected["cut", default: 0] += 1
                    surprise = reason
                }
            case .failed(let reason):
                w.unexpected["io", default: 0] += 1
                surprise = reason
            }
        }
        if let surprise {
            surprises.withLock { s in
                s.count += 1
                if s.first.count < 20 { s.first.append(Surprise(seconds: seconds, call: call, what: surprise, fault: fault)) }
            }
        }
    }

    /// The window so far, and a fresh one for the next row.
    func drain() -> Window {
        window.withLock { w in
            defer { w = Window() }
            return w
        }
    }

    var unexpectedCount: Int { surprises.withLock { $0.count } }
    var firstSurprises: [Surprise] { surprises.withLock { $0.first } }
}
