#if canImport(Glibc)
import Glibc
#endif
import CMicroHTTPD

/// libmicrohttpd's C callbacks: they capture nothing and find their daemon
/// or exchange through the context pointer. All run on the daemon's loop.
enum MHDCallbacks {
    static let access: wrpc_mhd_access_handler = { cls, connection, url, method, _, uploadData, uploadSize, reqCls in
        let daemon = Unmanaged<Daemon>.fromOpaque(cls!).takeUnretainedValue()
        return daemon.server.access(daemon, connection!, String(cString: url!), String(cString: method!),
                                    uploadData, uploadSize!, reqCls!)
    }

    /// The request target exactly as sent; returns no request context, so
    /// the access handler's first call still finds none.
    static let uriLog: wrpc_mhd_uri_log = { cls, uri, connection in
        let daemon = Unmanaged<Daemon>.fromOpaque(cls!).takeUnretainedValue()
        if let uri, let connection { daemon.sawTarget(String(cString: uri), on: connection) }
        return nil
    }

    static let completed: wrpc_mhd_completed_handler = { cls, connection, reqCls, _ in
        if let connection {
            // A request refused before the access handler ran leaves its target.
            _ = Unmanaged<Daemon>.fromOpaque(cls!).takeUnretainedValue().takeTarget(connection)
        }
        guard let raw = reqCls?.pointee else { return }
        reqCls?.pointee = nil
        let daemon = Unmanaged<Daemon>.fromOpaque(cls!).takeUnretainedValue()
        let exchange = Unmanaged<Exchange>.fromOpaque(raw).takeRetainedValue()
        exchange.completed()
        daemon.closed(exchange)
        daemon.server.finishedRequest()
    }

    /// A connection opened or closed; only HTTPS daemons ask.
    static let connection: MHD_NotifyConnectionCallback = { cls, connection, slot, code in
        let daemon = Unmanaged<Daemon>.fromOpaque(cls!).takeUnretainedValue()
        guard let tls = daemon.server.tls, let slot else { return }
        if code == .CONNECTION_NOTIFY_STARTED {
            tls.connectionStarted(connection!, slot)
        } else {
            tls.connectionClosed(slot, loop: daemon.loop)
        }
    }

    /// The content reader of a streamed response; its context is the
    /// exchange, retained until `release`.
    static let reader: wrpc_mhd_reader = { cls, _, buffer, max in
        let box = Unmanaged<ReaderBox>.fromOpaque(cls!).takeUnretainedValue()
        return box.exchange.readBody(into: UnsafeMutableRawBufferPointer(start: buffer, count: max), response: box.response)
    }

    static let release: wrpc_mhd_free = { cls in
        Unmanaged<ReaderBox>.fromOpaque(cls!).release()
    }

    static let collectRaw: MHD_KeyValueIterator = { cls, _, key, value in
        let box = Unmanaged<RawValueBox>.fromOpaque(cls!).takeUnretainedValue()
        let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: strlen($0))) } ?? []
        box.values.append((String(cString: key!).lowercased(), bytes))
        return .YES
    }

    static let collect: MHD_KeyValueIterator = { cls, _, key, value in
        let box = Unmanaged<ValueBox>.fromOpaque(cls!).takeUnretainedValue()
        let k = String(cString: key!)
        box.values.append((box.lowercase ? k.lowercased() : k, value.map { String(cString: $0) } ?? ""))
        return .YES
    }
}

/// What a content reader needs: its exchange, and the response object
/// (to add trailers to just before the end).
final class ReaderBox {
    let exchange: Exchange
    var response: OpaquePointer?
    init(_ exchange: Exchange) { self.exchange = exchange }
}

/// Header or trailer values as bytes (names in lower case), for forwards.
final class RawValueBox {
    var values: [(String, [UInt8])] = []
}

final class ValueBox {
    let lowercase: Bool
    var values: [(String, String)] = []
    init(lowercase: Bool) { self.lowercase = lowercase }
}
