import Console

extension Gateway {
    /// `GET /` and `/console/…`: the console's embedded files, each under a
    /// Content-Security-Policy that allows nothing but the gateway itself.
    static func console(_ path: String) -> Result<HTTPResponse, GatewayError> {
        guard let asset = ConsoleAssets.asset(at: path) else {
            return .failure(.notFound("no console file \(path); the console is at /"))
        }
        return .success(HTTPResponse(status: 200, headers: [
            ("Content-Type", asset.contentType),
            ("Content-Security-Policy", ConsoleAssets.contentSecurityPolicy),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            // A new binary may bring new files under the same names.
            ("Cache-Control", "no-cache"),
        ], body: asset.body))
    }
}
