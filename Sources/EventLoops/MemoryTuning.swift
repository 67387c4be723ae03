import CSystemShims

/// glibc's allocator settings for a process that moves streams in pieces of
/// a few hundred KiB. By default such a piece is above the mmap threshold
/// (128 KiB, raised only as blocks are freed) and freed memory is soon
/// trimmed, so each piece was a fresh mmap, page faults that zero it, and
/// a munmap: measured on the egress, 2.1 ms of CPU per MiB downloaded, of
/// which page faults were most; 0.8 ms with these settings. What stays
/// mapped is bounded by what was held at once, which the byte queues bound.
public enum MemoryTuning {
    /// Pieces up to this size come from the heap, not their own mapping.
    public static let mmapThreshold: Int32 = 32 << 20
    /// Free memory at the heap's top is given back beyond this.
    public static let trimThreshold: Int32 = 64 << 20

    /// Applies the settings; call once, early, before the loops start.
    public static func apply() {
        wrpc_tune_malloc(mmapThreshold, trimThreshold)
    }
}
