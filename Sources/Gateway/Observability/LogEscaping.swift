/// How text log lines carry values they do not control: nothing in a value
/// may end the line, look like a line break to a viewer, or (in a
/// `key=value` field) end the field early.
enum LogEscaping {
    /// A field's value (or key) as one token: as it is when it holds only
    /// visible ASCII other than `"` and `\`, else in double quotes with `"`
    /// and `\` escaped and every character `escaped(_:)` escapes escaped.
    static func field(_ value: String) -> String {
        guard value.isEmpty || !value.unicodeScalars.allSatisfy(isBare) else { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: append(scalar, to: &out)
            }
        }
        return out + "\""
    }

    /// Free text (a message, the last thing on its line): control, format
    /// and line- or paragraph-separator characters as escapes, `\` doubled
    /// so that an escape in the text cannot pass for one made here.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0) || $0 == "\\" }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar == "\\" { out += "\\\\" } else { append(scalar, to: &out) }
        }
        return out
    }

    private static func append(_ scalar: Unicode.Scalar, to out: inout String) {
        guard needsEscape(scalar) else {
            out.unicodeScalars.append(scalar)
            return
        }
        switch scalar {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default: out += "\\u{" + String(scalar.value, radix: 16) + "}"
        }
    }

    /// Printable ASCII that cannot end or split a field.
    private static func isBare(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value > 0x20 && scalar.value < 0x7F && scalar != "\"" && scalar != "\\"
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned: return true
        default: return false
        }
    }
}
