import Glibc

/// Which sanitizer this test process was built with (`swift test
/// --sanitize=…`, see scripts/asan.sh and scripts/tsan.sh): each runtime
/// defines its init symbol in the executable.
public enum Sanitizers {
    /// AddressSanitizer keeps freed memory in its quarantine (256 MiB by
    /// default) instead of giving it back, so a test that bounds the
    /// resident set measures the quarantine, not the code.
    public static let address = defined("__asan_init")
    public static let thread = defined("__tsan_init")
    public static let any = address || thread

    private static func defined(_ symbol: String) -> Bool {
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), symbol) != nil
    }
}
