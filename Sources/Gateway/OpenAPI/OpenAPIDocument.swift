import ComponentValues
import WIT

/// The OpenAPI 3.1 document for the callable functions: one `POST` per
/// function at its `/invoke/...` path, request and response bodies as JSON
/// Schema 2020-12 following the gateway's JSON mapping exactly.
public struct OpenAPIDocument {
    let table: FunctionTable
    let title: String
    /// Whether `stream<u8>` parameters may be given as `{"url": …}`.
    let urlStreams: Bool
    let security: OpenAPISecurity
    /// Named WIT types, by schema name.
    private var schemas: [(String, JSONValue)] = []
    private var schemaNames: [ObjectIdentifier: String] = [:]
    private var usedNames: Set<String> = []

    public init(table: FunctionTable, title: String, urlStreams: Bool = false, security: OpenAPISecurity = OpenAPISecurity()) {
        self.table = table
        self.title = title
        self.urlStreams = urlStreams
        self.security = security
    }

    /// The document as JSON text.
    public static func generate(table: FunctionTable, title: String, version: String = "0.1.0", urlStreams: Bool = false,
                                security: OpenAPISecurity = OpenAPISecurity()) -> [UInt8] {
        var doc = OpenAPIDocument(table: table, title: title, urlStreams: urlStreams, security: security)
        return doc.build(version: version).bytes + [0x0A]
    }

    mutating func build(version: String) -> JSONValue {
        var paths: [(String, JSONValue)] = []
        var operationIDs: Set<String> = []
        for callable in table.functions {
            let path = "/invoke/\(callable.instance)/\(callable.alias)"
            var id = Self.operationID(callable)
            var n = 2
            while !operationIDs.insert(id).inserted {
                id = Self.operationID(callable) + "-\(n)"
                n += 1
            }
            paths.append((path, .object([("post", operation(callable, id: id))])))
        }
        schemas.append(("Error", Self.errorSchema(extraCodes: security.errorCodes)))
        return .object([
            ("openapi", .string("3.1.0")),
            ("info", .object([
                ("title", .string(title)),
                ("version", .string(version)),
                ("description", .string("Functions of the loaded WIT, called over wRPC by wrpc-gateway. Values follow the gateway's JSON mapping.")),
            ])),
            ("jsonSchemaDialect", .string("https://json-schema.org/draft/2020-12/schema")),
            ("paths", .object(paths)),
            ("components", .object([
                ("schemas", .object(schemas)),
                ("responses", .object((Self.errorResponses + security.errorResponses).map { ($0.name, $0.definition) })),
            ] + (security.authenticates ? [("securitySchemes", .object(security.schemes))] : []))),
        ] + (security.authenticates ? [("security", security.requirement)] : []))
    }

    /// `greeter.hello`-like, from the interface name and the alias, made safe.
    static func operationID(_ c: CallableFunction) -> String {
        var iface = c.instance
        if let slash = iface.lastIndex(of: "/") { iface = String(iface[iface.index(after: slash)...]) }
        if let at = iface.firstIndex(of: "@") { iface = String(iface[..<at]) }
        let raw = "\(iface).\(c.alias)"
        return String(raw.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" ? $0 : "-" })
    }

    // MARK: - Operations

    private mutating func operation(_ c: CallableFunction, id: String) -> JSONValue {
        let f = c.function
        var members: [(String, JSONValue)] = [("operationId", .string(id)), ("tags", .array([.string(c.instance)]))]
        let summary = f.docs.map { String($0.split(separator: "\n").first ?? "") } ?? "\(f.name) in \(c.instance)"
        members.append(("summary", .string(summary)))
        let wit = "WIT: `\(f.name): func\(Signatures.signature(f))`"
        members.append(("description", .string(f.docs.map { "\($0)\n\n\(wit)" } ?? wit)))

        // Request body: an object keyed by parameter name.
        let byName = Self.closedObject(f.params.map { ($0.name, schema($0.type, request: true), $0.type.isOption) })
        // Or every parameter, in order, as an array.
        let inOrder = tuple(f.params.map(\.type), request: true)
        let paramsSchema: JSONValue = .object([("oneOf", .array([.object(byName), inOrder]))])
        let anyRequired = f.params.contains { !$0.type.isOption }
        var content: [(String, JSONValue)] = [("application/json", .object([("schema", paramsSchema)]))]
        var parameters: [JSONValue] = []
        // A raw body is documented where `args` can be left out, i.e. every
        // other parameter is optional: OpenAPI cannot make a query parameter
        // required for one content type only. (The gateway takes raw bodies
        // for the other functions too.)
        if let raw = f.rawBodyParameter, f.params.indices.allSatisfy({ $0 == raw || f.params[$0].type.isOption }) {
            // Any bytes: no JSON type, which a raw body does not have.
            content.append(("application/octet-stream", .object([("schema", .object([
                ("contentMediaType", .string("application/octet-stream")),
            ]))])))
            let others = f.params.enumerated().filter { $0.offset != raw }.map(\.element)
            let argsSchema = Self.closedObject(others.map { ($0.name, schema($0.type, request: true), $0.type.isOption) })
            parameters.append(.object([
                ("name", .string("args")), ("in", .string("query")), ("required", .bool(false)),
                ("description", .string("With a raw body (`\(f.params[raw].name)`): the other parameters, as a JSON object.")),
                ("content", .object([("application/json", .object([("schema", .object(argsSchema))]))])),
            ]))
        }
        if !parameters.isEmpty { members.append(("parameters", .array(parameters))) }
        members.append(("requestBody", .object([("required", .bool(anyRequired)), ("content", .object(content))])))

        // Responses.
        var responses: [(String, JSONValue)] = []
        if let result = f.result {
            responses.append(("200", .object([
                ("description", .string("The result.")),
                ("content", .object(resultContent(result))),
            ])))
        } else {
            responses.append(("204", .object([("description", .string("Done; the function has no result."))])))
        }
        for e in Self.errorResponses + security.errorResponses {
            responses.append((String(e.status), .object([("$ref", .string("#/components/responses/\(e.name)"))])))
        }
        members.append(("responses", .object(responses)))
        return .object(members)
    }

    private mutating func resultContent(_ result: WITType) -> [(String, JSONValue)] {
        let collected = schema(result, request: false)
        guard case .stream(let element) = result else {
            return [("application/json", .object([("schema", collected)]))]
        }
        if case .primitive(.u8)? = element {
            return [
                ("application/octet-stream", .object([("schema", .object([
                    ("type", .string("string")), ("contentMediaType", .string("application/octet-stream")),
                ]))])),
                ("application/json", .object([("schema", collected)])),
            ]
        }
        let item = element.map { schema($0, request: false) } ?? .object([])
        return [
            ("application/x-ndjson", .object([("schema", item), ("x-description", .string("One element per line; a failure ends with {\"error\": {...}}."))])),
            ("text/event-stream", .object([("schema", .object([("type", .string("string"))]))])),
            ("application/json", .object([("schema", collected)])),
        ]
    }

    // MARK: - Schemas

    /// The schema of `type`; named types become `components/schemas` references.
    mutating func schema(_ type: WITType, request: Bool) -> JSONValue {
        switch type {
        case .primitive(let p): return Self.primitive(p)
        case .list(.primitive(.u8)): return Self.base64
        case .list(let t): return .object([("type", .string("array")), ("items", schema(t, request: request))])
        case .fixedList(let t, let n):
            return .object([("type", .string("array")), ("items", schema(t, request: request)),
                            ("minItems", .number(n)), ("maxItems", .number(n))])
        case .map(let k, let v):
            let pairs: JSONValue = .object([("type", .string("array")), ("items", tuple([k, v], request: request))])
            guard request, case .primitive(.string) = k else { return pairs }
            // String keys may also be given as an object.
            return .object([("oneOf", .array([pairs, .object([
                ("type", .string("object")), ("additionalProperties", schema(v, request: request)),
            ])]))])
        case .tuple(let ts): return tuple(ts, request: request)
        case .option(let inner):
            if inner.jsonCanBeNull {
                return .object([("oneOf", .array([
                    Self.tagged("none", nil),
                    Self.tagged("some", schema(inner, request: request)),
                ]))])
            }
            return .object([("oneOf", .array([schema(inner, request: request), .object([("type", .string("null"))])]))])
        case .result(let ok, let err):
            return .object([("oneOf", .array([
                Self.tagged("ok", ok.map { schema($0, request: request) }),
                Self.tagged("err", err.map { schema($0, request: request) }),
            ]))])
        case .own(let r), .borrow(let r): return Self.handle(r)
        case .future(let t): return t.map { schema($0, request: request) } ?? .object([("type", .string("null"))])
        case .stream(.primitive(.u8)?):
            guard request && urlStreams else { return Self.base64 }
            return .object([("oneOf", .array([Self.base64, .object([
                ("type", .string("object")),
                ("properties", .object([("url", .object([("type", .string("string")), ("format", .string("uri"))]))])),
                ("required", .array([.string("url")])), ("additionalProperties", .bool(false)),
            ])]))])
        case .stream(let t):
            return .object([("type", .string("array")), ("items", t.map { schema($0, request: request) } ?? .object([]))])
        case .record(let r):
            return named(ObjectIdentifier(r), r.origin, docs: r.docs) { doc in
                Self.closedObject(r.fields.map { field in
                    var s = doc.schema(field.type, request: request)
                    if let d = field.docs, case .object(var m) = s, m.first?.0 != "$ref" {
                        m.append(("description", .string(d)))
                        s = .object(m)
                    }
                    return (field.name, s, field.type.isOption)
                })
            }
        case .variant(let v):
            return named(ObjectIdentifier(v), v.origin, docs: v.docs) { doc in
                [("oneOf", .array(v.cases.map { c in Self.tagged(c.name, c.type.map { doc.schema($0, request: request) }) }))]
            }
        case .enumeration(let e):
            return named(ObjectIdentifier(e), e.origin, docs: e.docs) { _ in
                [("type", .string("string")), ("enum", .array(e.cases.map { .string($0) }))]
            }
        case .flags(let f):
            return named(ObjectIdentifier(f), f.origin, docs: f.docs) { _ in
                var items: [(String, JSONValue)] = [("type", .string("string"))]
                if !f.flags.isEmpty { items.append(("enum", .array(f.flags.map { .string($0) }))) }
                return [("type", .string("array")), ("items", .object(items)), ("uniqueItems", .bool(true))]
            }
        }
    }

    /// A reference to the named type's schema, defining it on first use.
    private mutating func named(_ id: ObjectIdentifier, _ origin: TypeOrigin, docs: String?,
                                _ body: (inout OpenAPIDocument) -> [(String, JSONValue)]) -> JSONValue {
        if let name = schemaNames[id] { return .ref(name) }
        var name = Self.schemaName(origin)
        var n = 2
        while usedNames.contains(name) {
            name = Self.schemaName(origin) + "-\(n)"
            n += 1
        }
        usedNames.insert(name)
        schemaNames[id] = name
        var members = body(&self)
        members.insert(("title", .string(origin.name)), at: 0)
        if let docs { members.append(("description", .string(docs))) }
        schemas.append((name, .object(members)))
        return .ref(name)
    }

    /// `ns-pkg-iface-type`, from `ns:pkg/iface@ver.type` (the version left out).
    static func schemaName(_ origin: TypeOrigin) -> String {
        var owner = origin.owner
        if let at = owner.firstIndex(of: "@") {
            let rest = owner[at...].firstIndex(of: "[").map { owner[$0...] } ?? ""
            owner = String(owner[..<at]) + rest
        }
        let raw = "\(owner)-\(origin.name)"
        var out = ""
        for ch in raw {
            let keep = ch.isLetter || ch.isNumber || ch == "-" || ch == "_" || ch == "."
            if keep { out.append(ch) } else if out.last != "-" { out.append("-") }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out
    }

    /// An object with exactly these members; those not optional are required.
    static func closedObject(_ members: [(name: String, schema: JSONValue, optional: Bool)]) -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = [("type", .string("object")), ("properties", .object(members.map { ($0.name, $0.schema) }))]
        let required = members.filter { !$0.optional }.map { JSONValue.string($0.name) }
        if !required.isEmpty { out.append(("required", .array(required))) }
        out.append(("additionalProperties", .bool(false)))
        return out
    }

    private mutating func tuple(_ types: [WITType], request: Bool) -> JSONValue {
        var members: [(String, JSONValue)] = [("type", .string("array"))]
        if !types.isEmpty { members.append(("prefixItems", .array(types.map { schema($0, request: request) }))) }
        members.append(("minItems", .number(types.count)))
        members.append(("maxItems", .number(types.count)))
        return .object(members)
    }

    static func tagged(_ tag: String, _ payload: JSONValue?) -> JSONValue {
        var properties: [(String, JSONValue)] = [("tag", .object([("const", .string(tag))]))]
        var required: [JSONValue] = [.string("tag")]
        if let payload {
            properties.append(("val", payload))
            required.append(.string("val"))
        }
        return .object([("type", .string("object")), ("properties", .object(properties)),
                        ("required", .array(required)), ("additionalProperties", .bool(false))])
    }

    /// Standard or URL-safe, padded or not: what the gateway accepts.
    /// Computed, not a stored static: a `JSONValue` kept in a static looks
    /// leaked to LeakSanitizer (its payload pointers carry the case in their
    /// spare bits, like `WITType`'s), and building it is cheap.
    static var base64: JSONValue { .object([
        ("type", .string("string")), ("contentEncoding", .string("base64")),
        ("pattern", .string("^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$")),
    ]) }

    /// A resource handle: the opaque token the gateway gave in a result
    /// (URL-safe base64 of what it signs, but nothing a client reads).
    static func handle(_ r: Resource) -> JSONValue { .object([
        ("type", .string("string")), ("format", .string("wrpc-resource-handle")),
        ("title", .string("\(r.name) handle")), ("pattern", .string("^[A-Za-z0-9_-]+$")),
    ]) }

    static func primitive(_ p: Primitive) -> JSONValue {
        func integer<I: FixedWidthInteger>(_: I.Type) -> JSONValue {
            .object([("type", .string("integer")), ("minimum", .number(I.min)), ("maximum", .number(I.max))])
        }
        switch p {
        case .bool: return .object([("type", .string("boolean"))])
        case .u8: return integer(UInt8.self)
        case .u16: return integer(UInt16.self)
        case .u32: return integer(UInt32.self)
        case .s8: return integer(Int8.self)
        case .s16: return integer(Int16.self)
        case .s32: return integer(Int32.self)
        case .u64, .s64:
            let exact = p == .u64 ? integer(UInt64.self) : integer(Int64.self)
            return .object([("oneOf", .array([exact, .object([
                // Strings short enough that every match fits; larger values fit the integer form.
                ("type", .string("string")), ("pattern", .string(p == .u64 ? "^[0-9]{1,19}$" : "^-?[0-9]{1,18}$")),
            ])]))])
        case .f32, .f64:
            var number: [(String, JSONValue)] = [("type", .string("number"))]
            if p == .f32 {
                // Beyond these a number does not fit in an f32.
                number += [("minimum", .number("-3.4028234663852886e+38")), ("maximum", .number("3.4028234663852886e+38"))]
            }
            return .object([("oneOf", .array([
                .object(number),
                .object([("type", .string("string")), ("enum", .array([.string("NaN"), .string("Infinity"), .string("-Infinity")]))]),
            ]))])
        case .char: return .object([("type", .string("string")), ("minLength", .number(1)), ("maxLength", .number(1))])
        case .string: return .object([("type", .string("string"))])
        case .errorContext: return .object([])
        }
    }

    // MARK: - Errors

    struct ErrorResponse {
        let status: Int
        let name: String
        let description: String
        /// A header the answer carries: its name and what it says.
        var header: (String, String)?

        /// The `components.responses` entry.
        var definition: JSONValue {
            var members: [(String, JSONValue)] = [("description", .string(description))]
            if let (name, about) = header {
                members.append(("headers", .object([(name, .object([
                    ("description", .string(about)), ("schema", .object([("type", .string("string"))])),
                ]))])))
            }
            members.append(("content", .object([("application/json", .object([("schema", .ref("Error"))]))])))
            return .object(members)
        }
    }

    static let errorResponses: [ErrorResponse] = [
        ErrorResponse(status: 400, name: "InvalidArgument", description: "Malformed JSON, or a value that does not fit its WIT type (details.path points at it)."),
        ErrorResponse(status: 404, name: "NotFound", description: "No such instance or function."),
        ErrorResponse(status: 413, name: "BodyTooLarge", description: "The request body is over the limit."),
        ErrorResponse(status: 415, name: "UnsupportedMediaType", description: "The Content-Type cannot be used for this function."),
        ErrorResponse(status: 431, name: "HeadersTooLarge", description: "Too many or too large request headers."),
        ErrorResponse(status: 502, name: "UpstreamError", description: "The backend sent bytes that do not decode or closed before the results; or the result is over the limit; or a URL-fed stream could not be fetched."),
        ErrorResponse(status: 503, name: "Unavailable", description: "The backend does not accept connections."),
        ErrorResponse(status: 504, name: "DeadlineExceeded", description: "The call's deadline passed."),
    ]

    static func errorSchema(extraCodes: [String]) -> JSONValue { .object([
        ("type", .string("object")),
        ("properties", .object([
            ("code", .object([("type", .string("string")), ("enum", .array(
                (["invalid_argument", "not_found", "resource_exhausted", "unavailable", "deadline_exceeded", "upstream_protocol", "upstream_fetch"]
                    + extraCodes).map { .string($0) }))])),
            ("message", .object([("type", .string("string"))])),
            ("details", .object([("type", .string("object"))])),
        ])),
        ("required", .array([.string("code"), .string("message"), .string("details")])),
    ]) }
}

extension JSONValue {
    static func ref(_ schema: String) -> JSONValue {
        .object([("$ref", .string("#/components/schemas/\(schema)"))])
    }
}
