import CSystemShims
#if canImport(Glibc)
import Glibc
#endif

/// glibc's allocator settings for a process that moves streams in pieces of
/// a few hundred KiB. By default such a piece is above the mmap threshold
/// (128 KiB, raised only as blocks are freed) and freed memory is soon
/// trimmed, so each piece was a fresh mmap, page faults that zero it, and
/// a munmap: measured on the egress, 2.1 ms of CPU per MiB downloaded, of
/// which page faults were most; 0.8 ms with these settings. What stays
/// mapped is bounded by what was held at once, which the byte queues bound.
public enum MemoryTuning {
    /// Pieces up to this size come from the heap, not their own mapping.
    /// Above every piece a stream moves (a frame holds at most 1 MiB), and
    /// no higher: what grows past it (a collected result that doubles its
    /// buffer) gets its own mapping, which its free returns whole. In the
    /// heap, such buffers were interleaved with small objects that outlived
    /// them, and their pages stayed resident after every trim (in the fault
    /// memory check, 32 MiB here left 4–28 MiB behind).
    public static let mmapThreshold: Int32 = 2 << 20
    /// Free memory at the heap's top is given back beyond this.
    public static let trimThreshold: Int32 = 64 << 20

    /// Applies the settings; call once, early, before the loops start.
    /// glibc's own variables (`MALLOC_MMAP_THRESHOLD_`,
    /// `MALLOC_TRIM_THRESHOLD_`), when set, win: an operator who tunes the
    /// allocator that way expects it to hold.
    public static func apply() {
        func unlessSet(_ name: String, _ value: Int32) -> Int32 { getenv(name) == nil ? value : -1 }
        wrpc_tune_malloc(unlessSet("MALLOC_MMAP_THRESHOLD_", mmapThreshold), unlessSet("MALLOC_TRIM_THRESHOLD_", trimThreshold))
    }
}
