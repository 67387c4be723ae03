/// Bytes that cannot be the wasi:http value they should be.
public enum WasiHTTPError: Error, CustomStringConvertible {
    case malformed(String)
    public var description: String {
        switch self { case .malformed(let m): return m }
    }
}
