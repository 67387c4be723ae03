import CurlClient
import ComponentValues
import EventLoops
import WIT
import WRPCTransport

extension Gateway {
    /// The function a `/invoke/{instance}/{function}` path names.
    func callable(for path: String) -> Result<CallableFunction, GatewayError> {
        table.callable(atInvokePath: path)
    }

    /// `application/json` from `Application/JSON; charset=utf-8`; nil without the header.
    static func mediaType(_ contentType: String?) -> String? {
        guard let contentType else { return nil }
        // By hand rather than with Foundation's trimming: this runs on every request.
        let type = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }
        let trimmed = type.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
        return String(decoding: trimmed, as: UTF8.self).lowercased()
    }

    static func isJSON(_ media: String?) -> Bool {
        guard let media else { return true }
        return media == "application/json" || media.hasSuffix("+json")
    }

    /// Whether libmicrohttpd should hand this request's body over as it
    /// arrives: a raw body for a function whose one `stream<u8>` parameter it is.
    func streamsBody(method: String, path: String, headers: [(String, String)]) -> Bool {
        guard method == "POST", path.hasPrefix("/invoke/"), case .success(let c) = callable(for: path) else { return false }
        let media = Self.mediaType(headers.first { $0.0 == "content-type" }?.1)
        guard !Self.isJSON(media), let i = c.function.rawBodyParameter else { return false }
        if case .stream = c.function.params[i].type { return true }
        return false
    }

    /// `POST /invoke/…`: the call, answered through `sink` as its results come.
    func invoke(_ request: HTTPRequest, _ sink: RecordingSink) async {
        switch await plan(request) {
        case .failure(let e):
            request.bodyStream?.discard()
            await answer(sink, .failure(e))
        case .success(let plan):
            await run(plan, sink)
        }
    }

    /// Bodies at least this large are transcoded on the global pool rather
    /// than on the loop, which would otherwise stall every other request on
    /// it for as long as a big document takes.
    static let offloadBytes = 256 << 10

    /// Everything the call needs, checked before the backend is dialled.
    func plan(_ request: HTTPRequest) async -> Result<CallPlan, GatewayError> {
        let callable: CallableFunction
        switch self.callable(for: request.path) {
        case .success(let c): callable = c
        case .failure(let e): return .failure(e)
        }
        let f = callable.function
        let media = Self.mediaType(request.header("content-type"))
        var params: [UInt8] = []
        var feeds: [Feed] = []
        // Tokens are opened only for functions that take handles.
        let handles: ResourceTokens? = takesHandles[callable.index] ? resourceTokens : nil
        var origins: [HandleOrigin] = []
        // The member the call's handles came from: the call goes there.
        var member: String?
        if Self.isJSON(media) {
            // `args` matters only with a raw body, but when given it must still be valid.
            if request.queryValue("args") != nil, let raw = f.rawBodyParameter,
               case .failure(let e) = rawBodyParameters(f, raw: raw, request: request, handles: handles) {
                return .failure(e)
            }
            let wantURLs = !config.urlFetch.allowedPrefixes.isEmpty
            let body = request.body
            let encode: @Sendable () -> Result<([UInt8], [URLStream], [HandleOrigin]), GatewayError> = {
                var params: [UInt8] = []
                var urlStreams: [URLStream]? = wantURLs ? [] : nil
                var origins: [HandleOrigin] = []
                do throws(ValueError) {
                    try ValueEncoder.encodeParameters(json: body, params: f.params, into: &params, urlStreams: &urlStreams,
                                                      handles: handles, origins: &origins)
                } catch {
                    if error.kind == .malformedJSON { return .failure(.invalidArgument(error.message)) }
                    return .failure(.invalidArgument(error.description, pointer: error.pointer))
                }
                return .success((params, urlStreams ?? [], origins))
            }
            let encoded = body.count >= Self.offloadBytes
                ? await withTaskExecutorPreference(globalConcurrentExecutor) { encode() }
                : encode()
            let urlStreams: [URLStream]
            switch encoded {
            case .failure(let e): return .failure(e)
            case .success(let (p, u, o)): (params, urlStreams, origins) = (p, u, o)
            }
            // Checked before any URL is fetched.
            switch Self.member(for: origins) {
            case .failure(let e): return .failure(e)
            case .success(let m): member = m
            }
            // Every URL is checked before any is fetched; what is fetched is
            // the normalised URL that was checked.
            var checked: [(stream: URLStream, url: NormalizedURL)] = []
            for stream in urlStreams {
                switch config.urlFetch.check(stream.url) {
                case .success(let url): checked.append((stream, url))
                case .failure(let refusal):
                    return .failure(GatewayError(400, "invalid_argument", refusal.description, details: [("url", .string(stream.url))]))
                }
            }
            // Every URL must answer well before the backend is dialled.
            for (stream, url) in checked {
                switch await openURL(url) {
                case .success(let transfer): feeds.append(Feed(path: stream.path, source: transfer))
                case .failure(let e):
                    for feed in feeds { feed.source.stop() }
                    return .failure(e)
                }
            }
        } else {
            guard let i = f.rawBodyParameter else {
                return .failure(GatewayError(415, "invalid_argument",
                    "Content-Type `\(media ?? "")` is not supported for \(f.name); send application/json (raw bodies are for functions with one stream<u8> or list<u8> parameter)",
                    details: [("content_type", .string(media ?? ""))]))
            }
            switch rawBodyParameters(f, raw: i, request: request, handles: handles) {
            case .failure(let e): return .failure(e)
            case .success(let (bytes, found)): (params, origins) = (bytes, found)
            }
            switch Self.member(for: origins) {
            case .failure(let e):
                request.bodyStream?.discard()
                return .failure(e)
            case .success(let m): member = m
            }
            if let body = request.bodyStream { feeds.append(Feed(path: [UInt32(i)], source: body)) }
        }
        var timeout = config.defaultTimeout
        if let header = request.header("wrpc-timeout-ms") {
            guard let ms = Int64(header), ms > 0 else {
                for feed in feeds { feed.source.stop() }
                return .failure(.invalidArgument("Wrpc-Timeout-Ms must be a positive number of milliseconds"))
            }
            timeout = min(.milliseconds(ms), config.maxTimeout)
        }
        let callerDeadline = timeout < config.defaultTimeout || !feeds.isEmpty
        let format: StreamFormat?
        if case .stream(let element)? = f.result {
            format = StreamFormat(accept: request.header("accept"), bytes: element == .primitive(.u8))
        } else {
            format = nil
        }
        return .success(CallPlan(instance: callable.instance, function: f, params: params, feeds: feeds,
                                 deadline: .now + timeout, callerDeadline: callerDeadline, pool: functionPools[callable.index],
                                 format: format, member: member,
                                 handles: returnsHandles[callable.index] ? resourceTokens : nil))
    }

    /// Starts fetching `url`, following redirects (each normalised and
    /// re-checked against the allowlist) until a response that is not one;
    /// fails on any error or a status of 400 or more. An internal address
    /// is refused where curl connects unless the policy allows them: the
    /// client's own URL gets a 400 (as one outside the allowlist), a
    /// redirect there a 502 (as one elsewhere).
    func openURL(_ url: NormalizedURL) async -> Result<Transfer, GatewayError> {
        var current = url.text
        for hop in 0...config.urlFetch.maxRedirects {
            let transfer = Transfer(url: current, limits: config.urlFetch.limits,
                                    allowInternalAddresses: config.urlFetch.allowInternalAddresses)
            transfer.start()
            let head = await transfer.responseHead()
            let details: [(String, JSONValue)] = [("url", .string(current))]
            if head.failureKind == .internalAddress {
                let message = "\(current) resolves to a loopback, private, link-local or other internal address, which this gateway does not fetch"
                return .failure(hop == 0 ? GatewayError(400, "invalid_argument", message, details: details)
                                         : GatewayError(502, "upstream_fetch", "a redirect led to \(message)", details: details))
            }
            if let failure = head.failure {
                return .failure(GatewayError(502, "upstream_fetch", "fetching \(current) failed: \(failure)", details: details))
            }
            guard let status = head.status else {
                transfer.cancel()
                return .failure(GatewayError(502, "upstream_fetch", "fetching \(current) failed: no HTTP response", details: details))
            }
            if (300..<400).contains(status) {
                let done = await transfer.finished()
                guard let next = done.redirect else {
                    return .failure(GatewayError(502, "upstream_fetch", "\(current) answered HTTP \(status) without a usable Location", details: details))
                }
                switch config.urlFetch.check(next) {
                case .success(let normalized): current = normalized.text
                case .failure(let refusal):
                    return .failure(GatewayError(502, "upstream_fetch", "\(current) redirects elsewhere, and \(refusal)",
                                                 details: details + [("redirect", .string(next))]))
                }
                continue
            }
            if status >= 400 {
                transfer.cancel()
                return .failure(GatewayError(502, "upstream_fetch", "\(current) answered HTTP \(status)", details: details + [("status", .number(status))]))
            }
            return .success(transfer)
        }
        return .failure(GatewayError(502, "upstream_fetch", "\(url): more than \(config.urlFetch.maxRedirects) redirects", details: [("url", .string(url.text))]))
    }

    /// Other parameters from `?args=` (a JSON object), the raw one from the body.
    private func rawBodyParameters(_ f: Function, raw: Int, request: HTTPRequest,
                                   handles: ResourceTokens?) -> Result<([UInt8], [HandleOrigin]), GatewayError> {
        let argsText = request.queryValue("args") ?? "{}"
        let args: [(String, JSONValue)]
        do {
            guard case .object(let members) = try JSONValue(parsing: argsText) else {
                return .failure(.invalidArgument("`args` must be a JSON object of the other parameters"))
            }
            args = members
        } catch {
            return .failure(.invalidArgument("`args`: \(error.message)"))
        }
        for (key, _) in args where !f.params.contains(where: { $0.name == key }) || key == f.params[raw].name {
            return .failure(.invalidArgument("`args` has unknown parameter `\(key)`", pointer: "/\(key)"))
        }
        var out: [UInt8] = []
        var origins: [HandleOrigin] = []
        for (i, p) in f.params.enumerated() {
            if i == raw {
                if case .stream = p.type {
                    out.append(0)  // pending: the body follows on this parameter's path
                } else {
                    Framing.appendLEB(UInt64(request.body.count), to: &out)
                    out += request.body
                }
                continue
            }
            guard let value = args.first(where: { $0.0 == p.name })?.1 else {
                if case .option = p.type { out.append(0); continue }
                return .failure(.invalidArgument("missing parameter `\(p.name)` in `args`", pointer: "/\(p.name)"))
            }
            var found: [HandleOrigin] = []
            do {
                try ValueEncoder.encode(json: value.bytes, as: p.type, into: &out, handles: handles, origins: &found)
            } catch {
                return .failure(.invalidArgument("/\(p.name)\(error.pointer): \(error.message)", pointer: "/\(p.name)\(error.pointer)"))
            }
            origins += found.map { HandleOrigin(origin: $0.origin, pointer: "/\(p.name)\($0.pointer)") }
        }
        return .success((out, origins))
    }
}

extension Function {
    /// The one parameter a raw request body can stand for: the only
    /// `stream<u8>` or `list<u8>` parameter.
    public var rawBodyParameter: Int? {
        let candidates = params.indices.filter {
            switch params[$0].type {
            case .stream(.primitive(.u8)?), .list(.primitive(.u8)): return true
            default: return false
            }
        }
        return candidates.count == 1 ? candidates[0] : nil
    }
}
