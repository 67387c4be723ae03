import EventLoops
#if canImport(CJemalloc)
import CJemalloc
#endif

/// The malloc the executable runs on. jemalloc, linked in (Package.swift):
/// with glibc's malloc the gateway's resident set rose 21% over a 10-minute
/// soak, from free memory fragmented inside its arenas by stream buffers of
/// nearly the same size (README, "Soak"); jemalloc's size classes keep
/// every freed buffer fit for the next one. A build with
/// WRPC_GATEWAY_MALLOC=system (the sanitizer scripts: their runtime brings
/// its own malloc) runs on glibc's, tuned for streams (`MemoryTuning`).
enum ProcessAllocator {
    #if canImport(CJemalloc)
    static let control = AllocatorControl(name: "jemalloc",
                                          freeBytes: { Int(wrpc_jemalloc_dirty_bytes()) },
                                          release: { wrpc_jemalloc_purge() })
    static func tune() {}
    /// "jemalloc/5.3.0", for the startup log line.
    static var description: String {
        let version = wrpc_jemalloc_version().map { String(cString: $0).prefix { $0 != "-" } } ?? "?"
        return "\(control.name)/\(version)"
    }
    #else
    static let control = AllocatorControl.glibc
    static func tune() { MemoryTuning.apply() }
    static var description: String { control.name }
    #endif
}
