/// The demo WIT's HTTP routes that the gateway benchmarks call.
enum DemoAPI {
    static let hello = "/invoke/wrpc-gateway:demo/greeter@0.1.0/hello"
    static let helloBody = Array(#"{"name":"bench"}"#.utf8)
    static let upload = "/invoke/wrpc-gateway:demo/blobs@0.1.0/upload"
    /// Gateway flags for 1 GiB uploads that take minutes (the demo backend
    /// hashes every byte), sent with `Wrpc-Timeout-Ms: 600000`.
    static let longUploadFlags = ["--max-timeout-ms", "600000", "--max-body-bytes", "2000000000"]
}
