extension Duration {
    /// The whole nanoseconds of the duration (what epoll, curl and metrics take).
    public var nanoseconds: Int64 {
        let (s, a) = components
        return s * 1_000_000_000 + a / 1_000_000_000
    }
}
