/// A benchmark could not run as set up (a child did not start, a reply was
/// not what the case needs); the message says which.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
