#if canImport(Glibc)
import Glibc
#endif
import CMicroHTTPD
import HTTPHead

/// libmicrohttpd's C callbacks: they capture nothing and find their daemon
/// or exchange through the context pointer. All run on the daemon's loop.
enum MHDCallbacks {
    static let access: wrpc_mhd_access_handler = { cls, connection, url, method, version, uploadData, uploadSize, reqCls in
        let daemon = Unmanaged<Daemon>.fromOpaque(cls!).takeUnretainedValue()
        return daemon.server.access(daemon, connection!, String(cString: url!), method!, version,
                                    uploadData, uploadSize!, reqCls!)
    }

    /// The first sight of a request: its target as received. What it
    /// returns is the request's context until the access handler swaps it
    /// for the `Exchange`.
    static let uriLogger: wrpc_mhd_uri_logger = { _, uri, _ in
        guard let uri else { return nil }
        return Unmanaged.passRetained(RawTarget(uri)).toOpaque()
    }

    /// libmicrohttpd's messages. One matters: it is about to refuse a
    /// request's `Content-Length` itself (see `ConnectionWatch.lengthRefused`).
    static let log: MHD_LogCallback = { cls, format, _ in
        guard let cls, let format else { return }
        let message = String(cString: format)
        guard message.contains("Content-Length") else { return }
        Unmanaged<Daemon>.fromOpaque(cls).takeUnretainedValue().watch.lengthRefused()
    }

    static let completed: wrpc_mhd_completed_handler = { cls, connection, reqCls, _ in
        guard let raw = reqCls?.pointee else { return }
        reqCls?.pointee = nil
        let daemon = Unmanaged<Daemon>.fromOpaque(cls!).takeUnretainedValue()
        if let connection { daemon.watch.requestEnded(connection) }
        // A request libmicrohttpd refused before its headers were read never became an exchange.
        guard let exchange = Unmanaged<AnyObject>.fromOpaque(raw).takeRetainedValue() as? Exchange else { return }
        exchange.completed()
        daemon.closed(exchange)
        daemon.server.finishedRequest()
    }

    /// A connection opened or closed: counted against the connection
    /// limits, watched for slow clients, and given its TLS credentials.
    static let connection: MHD_NotifyConnectionCallback = { cls, connection, slot, code in
        let daemon = Unmanaged<Daemon>.fromOpaque(cls!).takeUnretainedValue()
        guard let connection else { return }
        if code == .CONNECTION_NOTIFY_STARTED {
            if let tls = daemon.server.tls, let slot { tls.connectionStarted(connection, slot) }
            daemon.watch.started(connection, address: HTTPServer.clientAddress(connection))
        } else {
            daemon.watch.closed(connection)
            if let tls = daemon.server.tls, let slot { tls.connectionClosed(slot, loop: daemon.loop) }
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

    /// Headers as received, with their lengths (a NUL does not cut them short).
    static let collectWithLengths: MHD_KeyValueIteratorN = { cls, _, key, keySize, value, valueSize in
        let box = Unmanaged<RawHeaderBox>.fromOpaque(cls!).takeUnretainedValue()
        box.addresses.append((name: UInt(bitPattern: key), value: UInt(bitPattern: value)))
        box.headers.append((name: Array(UnsafeRawBufferPointer(start: key, count: key == nil ? 0 : keySize)),
                            value: Array(UnsafeRawBufferPointer(start: value, count: value == nil ? 0 : valueSize))))
        return .YES
    }

    static let collect: MHD_KeyValueIterator = { cls, _, key, value in
        let box = Unmanaged<ValueBox>.fromOpaque(cls!).takeUnretainedValue()
        box.values.append((String(cString: key!), value.map { String(cString: $0) } ?? ""))
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

final class RawHeaderBox {
    var headers: [FramingCheck.RawHeader] = []
    /// Where libmicrohttpd keeps each name and value (for `HeadLayout`).
    var addresses: [(name: UInt, value: UInt)] = []
}

final class ValueBox {
    var values: [(String, String)] = []
}
