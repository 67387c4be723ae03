import CSystemShims

/// What the loops ask of the process's malloc: how much it holds free, and
/// to give that back. glibc's is here; the executable links jemalloc and
/// passes its own (`wrpc-gateway`'s `ProcessAllocator`), so this module
/// neither links nor assumes a particular one.
public struct AllocatorControl: Sendable {
    public let name: String
    /// Bytes held free, resident or not.
    public let freeBytes: @Sendable () -> Int
    /// Gives the pages of free memory back to the kernel.
    public let release: @Sendable () -> Void

    public init(name: String, freeBytes: @escaping @Sendable () -> Int, release: @escaping @Sendable () -> Void) {
        self.name = name
        self.freeBytes = freeBytes
        self.release = release
    }

    /// glibc's malloc: free bytes from `mallinfo2`, given back by `malloc_trim`.
    public static let glibc = AllocatorControl(name: "glibc",
                                               freeBytes: { Int(wrpc_malloc_free_bytes()) },
                                               release: { wrpc_malloc_trim() })
}
