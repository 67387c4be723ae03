import WIT

/// The interface definitions the gateway speaks for HTTP over wRPC, its own
/// copy: `wrpc:http@0.1.0` (the types and both handlers, as wRPC's
/// `wit/http` defines them) and, of WASI 0.2.0, just the types those use,
/// with the same names, cases and order, because the wire depends on them.
public enum WrpcHTTPWIT {
    public static let outgoingInstance = "wrpc:http/outgoing-handler@0.1.0"
    public static let incomingInstance = "wrpc:http/incoming-handler@0.1.0"

    public static let main = """
        package wrpc:http@0.1.0;

        interface types {
            use wasi:http/types@0.2.0.{
                error-code as wasi-error-code,
                method as wasi-method,
                request-options as wasi-request-options,
                scheme as wasi-scheme,
            };
            use wasi:clocks/monotonic-clock@0.2.0.{duration};

            type error-code = wasi-error-code;
            type method = wasi-method;
            type scheme = wasi-scheme;

            type fields = list<tuple<string, list<list<u8>>>>;

            record request-options {
                connect-timeout: option<duration>,
                first-byte-timeout: option<duration>,
                between-bytes-timeout: option<duration>,
            }

            record request {
                body: stream<u8>,
                trailers: future<option<fields>>,
                method: method,
                path-with-query: option<string>,
                scheme: option<scheme>,
                authority: option<string>,
                headers: fields,
            }

            record response {
                body: stream<u8>,
                trailers: future<option<fields>>,
                status: u16,
                headers: fields,
            }
        }

        interface incoming-handler {
            use types.{request, response, error-code};

            handle: func(request: request) -> result<response, error-code>;
        }

        interface outgoing-handler {
            use types.{request, response, error-code, request-options};

            handle: func(request: request, options: option<request-options>) -> result<response, error-code>;
        }
        """

    /// `wasi:http/types@0.2.0`, the part `wrpc:http` uses.
    public static let wasiHTTP = """
        package wasi:http@0.2.0;

        interface types {
            variant method { get, head, post, put, delete, connect, options, trace, patch, other(string) }

            variant scheme { HTTP, HTTPS, other(string) }

            record DNS-error-payload { rcode: option<string>, info-code: option<u16> }
            record TLS-alert-received-payload { alert-id: option<u8>, alert-message: option<string> }
            record field-size-payload { field-name: option<string>, field-size: option<u32> }

            variant error-code {
                DNS-timeout,
                DNS-error(DNS-error-payload),
                destination-not-found,
                destination-unavailable,
                destination-IP-prohibited,
                destination-IP-unroutable,
                connection-refused,
                connection-terminated,
                connection-timeout,
                connection-read-timeout,
                connection-write-timeout,
                connection-limit-reached,
                TLS-protocol-error,
                TLS-certificate-error,
                TLS-alert-received(TLS-alert-received-payload),
                HTTP-request-denied,
                HTTP-request-length-required,
                HTTP-request-body-size(option<u64>),
                HTTP-request-method-invalid,
                HTTP-request-URI-invalid,
                HTTP-request-URI-too-long,
                HTTP-request-header-section-size(option<u32>),
                HTTP-request-header-size(option<field-size-payload>),
                HTTP-request-trailer-section-size(option<u32>),
                HTTP-request-trailer-size(field-size-payload),
                HTTP-response-incomplete,
                HTTP-response-header-section-size(option<u32>),
                HTTP-response-header-size(field-size-payload),
                HTTP-response-body-size(option<u64>),
                HTTP-response-trailer-section-size(option<u32>),
                HTTP-response-trailer-size(field-size-payload),
                HTTP-response-transfer-coding(option<string>),
                HTTP-response-content-coding(option<string>),
                HTTP-response-timeout,
                HTTP-upgrade-failed,
                HTTP-protocol-error,
                loop-detected,
                configuration-error,
                internal-error(option<string>),
            }

            /// A resource in WASI; `wrpc:http` replaces it with a record of its own.
            resource request-options;
        }
        """

    public static let wasiClocks = """
        package wasi:clocks@0.2.0;

        interface monotonic-clock {
            type instant = u64;
            type duration = u64;
        }
        """

    /// The three packages, resolved.
    public static func resolve() throws -> Resolve {
        try Resolve.load(main: [SourceText(path: "wrpc-http.wit", text: main)],
                         dependencies: [[SourceText(path: "wasi-clocks.wit", text: wasiClocks)],
                                        [SourceText(path: "wasi-http.wit", text: wasiHTTP)]])
    }
}
