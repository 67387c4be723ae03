import EventLoops

/// Sizes the shared event loops from `--threads` (or WRPC_GATEWAY_THREADS),
/// before anything runs on them.
func configureEventLoops(threads: Int?, spin: Duration = EventLoopGroup.defaultSpin) throws {
    let loops = try Environment.pick(threads, "threads", default: EventLoopGroup.availableCPUs, parse: Int.init)
    guard loops >= 1 else { throw CLIError("--threads must be at least 1") }
    MemoryTuning.apply()
    guard EventLoopGroup.configureShared(threads: loops, spin: spin) else {
        throw CLIError("--threads: the event loops already run")
    }
}
