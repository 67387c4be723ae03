import HTTPHead

/// `HTTPHead.HeadLayout` in the server's terms: its refusal as an
/// `HTTPRejection`, for what reads the layout apart from `HeadRules`.
enum HeadLayout {
    typealias Field = HTTPHead.HeadLayout.Field

    static func check(_ head: UnsafeRawBufferPointer, _ fields: [Field]) -> HTTPRejection? {
        HTTPHead.HeadLayout.check(head, fields).map(HTTPRejection.init)
    }
}
