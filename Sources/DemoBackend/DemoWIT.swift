/// The demo backend's WIT: our own package, exercising every kind of WIT
/// value, a resource, and streams both ways.
public enum DemoWIT {
    public static let packageName = "wrpc-gateway:demo@0.1.0"

    public static let text = """
        package wrpc-gateway:demo@0.1.0;

        /// Greets people.
        interface greeter {
          /// Returns a greeting for `name`.
          hello: func(name: string) -> string;
        }

        /// A key-value store with buckets, after wasi:keyvalue.
        interface keyvalue {
          /// Why a key-value operation failed.
          variant error {
            /// The bucket does not exist.
            no-such-store,
            /// The caller may not use the bucket.
            access-denied,
            /// Anything else.
            other(string),
          }

          /// A page of keys; `cursor` continues the listing.
          record key-response {
            keys: list<string>,
            cursor: option<string>,
          }

          /// Opens the bucket `identifier`, creating it if needed. Names that
          /// start with `private` are refused.
          open: func(identifier: string) -> result<bucket, error>;

          /// A named set of keys and values.
          resource bucket {
            /// The value of `key`, if set.
            get: func(key: string) -> result<option<list<u8>>, error>;
            /// Sets `key` to `value`.
            set: func(key: string, value: list<u8>) -> result<_, error>;
            /// Removes `key`.
            delete: func(key: string) -> result<_, error>;
            /// Whether `key` is set.
            exists: func(key: string) -> result<bool, error>;
            /// Keys in order, ten at a time, after `cursor`.
            list-keys: func(cursor: option<string>) -> result<key-response, error>;
          }
        }

        /// Echoes every kind of WIT value back.
        interface types {
          record point { x: s32, y: s32 }
          variant shape { circle(f64), rectangle(tuple<f64, f64>), dot }
          enum color { red, green, blue }
          flags permissions { read, write, execute }
          record everything {
            flag: bool,
            small: u8,
            big: u64,
            negative: s64,
            ratio: f32,
            precise: f64,
            letter: char,
            text: string,
            bytes: list<u8>,
            point: point,
            shape: shape,
            color: color,
            permissions: permissions,
            maybe: option<option<u32>>,
            pair: tuple<string, u16>,
            numbers: list<s32>,
            lookup: map<string, u32>,
            rgb: list<u8, 3>,
            note: option<string>,
          }
          echo-record: func(p: point) -> point;
          echo-variant: func(s: shape) -> shape;
          echo-enum: func(c: color) -> color;
          echo-flags: func(p: permissions) -> permissions;
          echo-option: func(o: option<option<u32>>) -> option<option<u32>>;
          echo-tuple: func(t: tuple<string, u16, bool>) -> tuple<string, u16, bool>;
          echo-list: func(l: list<point>) -> list<point>;
          echo-bytes: func(b: list<u8>) -> list<u8>;
          echo-u64: func(n: u64) -> u64;
          echo-s64: func(n: s64) -> s64;
          echo-floats: func(a: f32, b: f64) -> tuple<f32, f64>;
          echo-char: func(c: char) -> char;
          echo-map: func(m: map<string, u32>) -> map<string, u32>;
          echo-fixed: func(l: list<u8, 3>) -> list<u8, 3>;
          echo-result: func(r: result<string, u32>) -> result<string, u32>;
          echo-everything: func(e: everything) -> everything;
          /// u64 max, s64 min and s64 max.
          extremes: func() -> tuple<u64, s64, s64>;
          /// Does nothing; answers with no result.
          nothing: func();
        }

        /// Byte and number streams.
        interface blobs {
          /// How many bytes arrived, and their SHA-256 in hex.
          record digest { bytes: u64, sha256: string }
          /// Reads the whole stream; returns its length and SHA-256.
          upload: func(data: stream<u8>) -> digest;
          /// Streams `n` bytes (at most 64 MiB): byte i is i mod 251.
          download: func(n: u64) -> stream<u8>;
          /// Streams back what it receives, as it receives it.
          echo: func(data: stream<u8>) -> stream<u8>;
          /// Streams the numbers 1 to `n` (at most a million).
          count: func(n: u64) -> stream<u64>;
        }

        world demo {
          export greeter;
          export keyvalue;
          export types;
          export blobs;
        }
        """
}
