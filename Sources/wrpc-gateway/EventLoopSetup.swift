import EventLoops

/// Sizes the shared event loops from `--threads` (or WRPC_GATEWAY_THREADS),
/// before anything runs on them.
func configureEventLoops(threads: Int?, spin: Duration = EventLoopGroup.defaultSpin) throws {
    let loops = try Environment.pick(threads, "threads", default: EventLoopGroup.availableCPUs, parse: Int.init)
    guard loops >= 1 else { throw CLIError("--threads must be at least 1") }
    ProcessAllocator.tune()
    guard EventLoopGroup.configureShared(threads: loops, spin: spin) else {
        throw CLIError("--threads: the event loops already run")
    }
    // Freed buffers stay resident (glibc: the tuning; jemalloc: until its
    // pages decay, which only happens while it allocates); this gives a
    // burst's back.
    // WRPC_GATEWAY_MEMORY_RELEASE_MS sets how often it looks (0: never).
    let look = try Environment.pick(nil, "memory-release-ms", default: 1000) { Int($0).flatMap { $0 >= 0 ? $0 : nil } }
    if look > 0 {
        FreeMemoryRelease.start(on: EventLoopGroup.shared.loops[0], period: .milliseconds(look), allocator: ProcessAllocator.control)
    }
}
