import EdgePolicy

extension EdgeRefusal {
    /// The refusal as the gateway's JSON error body.
    var error: GatewayError {
        var e = GatewayError(status, code, message)
        e.headers = headers
        return e
    }

    /// Answers `request` with this refusal: a streamed body is dropped
    /// unread, and the refusal is counted by `reason` on `/metrics`.
    func answer(_ request: HTTPRequest, _ sink: any ResponseSink, metrics: GatewayMetrics, reason: String) async {
        request.bodyStream?.discard()
        metrics.refusal(reason)
        try? await sink.respond(error.response)
    }
}
