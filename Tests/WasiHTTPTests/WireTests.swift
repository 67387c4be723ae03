import Foundation
import Testing
import TestSupport
import WIT
@testable import WasiHTTP

/// A recorded call between the upstream Go client and server: its frames each way.
struct Recording {
    let request: [WireFrame]
    let response: [WireFrame]
    let instance: String

    init(_ name: String) throws {
        let recording = try WireRecording(name)
        var request = recording.request
        #expect(request.removeFirst() == 0, "version byte")
        var r = CMReader(request)
        instance = try r.string(limit: 4096)
        _ = try r.string(limit: 4096)
        self.request = try Self.whole(Array(request[r.position...]))
        response = try Self.whole(recording.response)
    }

    /// Every frame of `bytes`, which must hold nothing else.
    static func whole(_ bytes: [UInt8]) throws -> [WireFrame] {
        let (frames, consumed) = wireFrames(bytes)
        try #require(consumed == bytes.count, "a partial frame after \(consumed) of \(bytes.count) bytes")
        return frames
    }

    /// The data of every frame on `path`, joined.
    func joined(_ frames: [WireFrame], _ path: [UInt32]) -> [UInt8] {
        frames.filter { $0.path == path }.flatMap(\.data)
    }
}

@Suite struct WireTests {
    /// The Go client's GET: every field of the request record and the options.
    @Test func goOutgoingGetDecodes() throws {
        let rec = try Recording("http-outgoing-get")
        #expect(rec.instance == WrpcHTTPWIT.outgoingInstance)
        let call = try #require(try OutgoingCall.decode(rec.joined(rec.request, [])))
        #expect(call.request.method == .get)
        #expect(call.request.pathWithQuery == "/small.txt")
        #expect(call.request.scheme == .http)
        #expect(call.request.authority == "127.0.0.1:18600")
        #expect(call.request.headers.isEmpty)
        #expect(call.request.body == .pending && call.request.trailers == .pending)
        #expect(call.options == RequestOptions())
        // The body ends at once on its path; the trailers future says none.
        #expect(rec.joined(rec.request, RequestHead.bodyPath) == [0])
        let (trailers, complete) = try Fields.decodeOptional(rec.joined(rec.request, RequestHead.trailersPath))
        #expect(complete && trailers == nil)
    }

    /// The Go server's answers re-encode to the same bytes, so our results
    /// are what a Go client reads.
    @Test(arguments: ["http-outgoing-get", "http-outgoing-post", "http-incoming-echo"])
    func goResponsesRoundTrip(name: String) throws {
        let rec = try Recording(name)
        let root = rec.joined(rec.response, [])
        let result = try #require(try HandleResult.decode(root))
        guard case .response(let head) = result else { Issue.record("an error result"); return }
        #expect(head.status == 200)
        #expect(head.body == .pending && head.trailers == .pending)
        #expect(result.encode() == root)
        // A prefix is never mistaken for the whole.
        for cut in 0..<root.count { #expect(try HandleResult.decode(Array(root.prefix(cut))) == nil) }
    }

    @Test func goIncomingEchoDecodes() throws {
        let rec = try Recording("http-incoming-echo")
        #expect(rec.instance == WrpcHTTPWIT.incomingInstance)
        let head = try #require(try RequestHead.decodeIncoming(rec.joined(rec.request, [])))
        #expect(head.method == .post)
        #expect(head.pathWithQuery == "/echo")
        #expect(head.authority == "localhost")
        #expect(head.headers.values("X-Req") == [Array("hello-header".utf8)])
        #expect(head.encodeAsIncomingParameters() == rec.joined(rec.request, []))
    }

    @Test func everyErrorCodeRoundTrips() throws {
        let codes: [ErrorCode] = [
            .dnsTimeout, .dnsError(.init(rcode: "NXDOMAIN", infoCode: 3)), .connectionRefused,
            .tlsAlertReceived(.init(alertID: 40, alertMessage: "handshake")), .httpRequestBodySize(nil),
            .httpRequestHeaderSize(.init(fieldName: "x", fieldSize: 9)), .httpRequestHeaderSize(nil),
            .httpResponseTrailerSize(.init()), .httpResponseContentCoding("br"), .httpResponseTimeout,
            .internalError("boom"), .internalError(nil), .configurationError,
        ]
        for code in codes {
            let bytes = HandleResult.failure(code).encode()
            #expect(try HandleResult.decode(bytes) == .failure(code), "\(code)")
        }
        #expect(ErrorCode.names.count == 39)
        #expect(ErrorCode.internalError(nil).caseName == "internal-error")
    }

    /// Our copy of the definitions says what the spec's WIT says, function for function.
    @Test func ownWITMatchesTheSpec() throws {
        let ours = try WrpcHTTPWIT.resolve()
        let spec = try Resolve.load(path: sharedDirectory + "/spec/wrpc-http/wit")
        for iface in ["incoming-handler", "outgoing-handler"] {
            let a = try #require(ours.main.interface(named: iface)?.function(named: "handle"))
            let b = try #require(spec.main.interface(named: iface)?.function(named: "handle"))
            #expect(Signatures.signature(a) == Signatures.signature(b))
        }
    }
}
