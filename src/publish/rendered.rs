//! A rendered document as it is cached and served: the bytes, their validators, and gzip and
//! brotli forms made once, on first demand, instead of once per request.

use std::io::Write;
use std::sync::OnceLock;

use axum::body::Bytes;
use axum::http::HeaderValue;
use chrono::{DateTime, Utc};

/// Content codings a rendered document can be sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Coding {
    /// Every coding, in `index` order.
    pub const ALL: [Coding; 3] = [Coding::Identity, Coding::Gzip, Coding::Brotli];

    /// The `Content-Encoding` value, if any.
    pub fn header(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Brotli => Some("br"),
        }
    }

    /// 0 identity, 1 gzip, 2 brotli.
    pub fn index(self) -> usize {
        match self {
            Coding::Identity => 0,
            Coding::Gzip => 1,
            Coding::Brotli => 2,
        }
    }

    fn etag_suffix(self) -> &'static str {
        match self {
            Coding::Identity => "",
            Coding::Gzip => "-gzip",
            Coding::Brotli => "-br",
        }
    }
}

#[derive(Debug)]
pub struct Rendered {
    body: Bytes,
    /// 128-bit XXH3 of `body`: the strong validator of the identity form; compressed forms
    /// append their coding, as each representation needs its own strong ETag. Not a
    /// cryptographic hash (nobody gains by forging a collision with their own feed); 20 times
    /// faster than SHA-256 over a 14 MiB feed.
    hash: String,
    /// Whole seconds, as HTTP dates carry them.
    last_modified: DateTime<Utc>,
    /// Header values made once: the ETag of each form, and Last-Modified.
    etags: [HeaderValue; 3],
    last_modified_header: HeaderValue,
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
}

impl Rendered {
    pub fn new(body: String, last_modified: DateTime<Utc>) -> Rendered {
        let last_modified =
            DateTime::from_timestamp(last_modified.timestamp(), 0).unwrap_or(last_modified);
        let hash = format!("{:032x}", xxhash_rust::xxh3::xxh3_128(body.as_bytes()));
        let etag = |coding: Coding| {
            // Hex digits and quotes: always a valid header value.
            HeaderValue::from_str(&format!("\"{hash}{}\"", coding.etag_suffix()))
                .unwrap_or(HeaderValue::from_static("\"\""))
        };
        let last_modified_header =
            HeaderValue::from_str(&httpdate::fmt_http_date(last_modified.into()))
                .unwrap_or(HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"));
        Rendered {
            body: Bytes::from(body),
            etags: [
                etag(Coding::Identity),
                etag(Coding::Gzip),
                etag(Coding::Brotli),
            ],
            last_modified_header,
            hash,
            last_modified,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
        }
    }

    pub fn last_modified(&self) -> DateTime<Utc> {
        self.last_modified
    }

    /// The quoted strong ETag of one form.
    pub fn etag_header(&self, coding: Coding) -> HeaderValue {
        self.etags[coding.index()].clone()
    }

    pub fn last_modified_header(&self) -> HeaderValue {
        self.last_modified_header.clone()
    }

    /// Whether `value` is exactly one of the ETags this document is served with.
    pub fn is_etag(&self, value: &[u8]) -> bool {
        self.etags.iter().any(|etag| etag.as_bytes() == value)
    }

    /// Whether `tag` (quoted, possibly `W/`) names any form of this document: the weak
    /// comparison If-None-Match calls for.
    pub fn matches(&self, tag: &str) -> bool {
        let tag = tag.trim();
        let tag = tag.strip_prefix("W/").unwrap_or(tag);
        let Some(opaque) = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
            return false;
        };
        Coding::ALL
            .iter()
            .any(|c| opaque.strip_suffix(c.etag_suffix()) == Some(self.hash.as_str()))
    }

    /// Whether the compressed form is ready without work.
    pub fn is_ready(&self, coding: Coding) -> bool {
        match coding {
            Coding::Identity => true,
            Coding::Gzip => self.gzip.get().is_some(),
            Coding::Brotli => self.brotli.get().is_some(),
        }
    }

    /// The bytes of one form, compressing on first use (CPU work: call from a blocking task
    /// when `is_ready` is false).
    pub fn bytes(&self, coding: Coding) -> Bytes {
        match coding {
            Coding::Identity => self.body.clone(),
            Coding::Gzip => self.gzip.get_or_init(|| gzip(&self.body)).clone(),
            Coding::Brotli => self.brotli.get_or_init(|| brotli(&self.body)).clone(),
        }
    }
}

fn gzip(data: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 4),
        flate2::Compression::new(6),
    );
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(data);
    crate::server::shared(encoder.finish().unwrap_or_default())
}

fn brotli(data: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(data.len() / 5);
    let params = brotli::enc::BrotliEncoderParams {
        // Quality 9 compresses calendar text within a few percent of 11 at a fraction of the time.
        quality: 9,
        lgwin: 22,
        ..Default::default()
    };
    let mut input = data;
    if brotli::BrotliCompress(&mut input, &mut out, &params).is_err() {
        return Bytes::new();
    }
    crate::server::shared(out)
}

/// The coding to answer with, from an `Accept-Encoding` value: brotli, then gzip, when the client
/// accepts them (a `q` of 0 refuses), else identity.
pub fn negotiate(accept_encoding: Option<&str>) -> Coding {
    let Some(header) = accept_encoding else {
        return Coding::Identity;
    };
    let mut br = None;
    let mut gz = None;
    let mut star = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let mut q = 1.0_f32;
        for param in parts {
            if let Some((k, v)) = param.split_once('=') {
                if k.trim().eq_ignore_ascii_case("q") {
                    q = v.trim().parse().unwrap_or(0.0);
                }
            }
        }
        if coding.eq_ignore_ascii_case("br") {
            br = Some(q);
        } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            gz = Some(q);
        } else if coding == "*" {
            star = Some(q);
        }
    }
    let br = br.or(star).unwrap_or(0.0);
    let gz = gz.or(star).unwrap_or(0.0);
    if br > 0.0 && br >= gz {
        Coding::Brotli
    } else if gz > 0.0 {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_q_values() {
        assert_eq!(negotiate(None), Coding::Identity);
        assert_eq!(negotiate(Some("")), Coding::Identity);
        assert_eq!(negotiate(Some("gzip, deflate, br")), Coding::Brotli);
        assert_eq!(negotiate(Some("gzip")), Coding::Gzip);
        assert_eq!(negotiate(Some("br;q=0, gzip")), Coding::Gzip);
        assert_eq!(negotiate(Some("br;q=0.5, gzip;q=0.8")), Coding::Gzip);
        assert_eq!(negotiate(Some("gzip;q=0")), Coding::Identity);
        assert_eq!(negotiate(Some("*")), Coding::Brotli);
        assert_eq!(negotiate(Some("identity")), Coding::Identity);
        assert_eq!(negotiate(Some("GZIP ; Q=1")), Coding::Gzip);
    }

    #[test]
    fn every_form_matches_weakly_and_nothing_else_does() {
        let r = Rendered::new("BEGIN:VCALENDAR".into(), Utc::now());
        let etag = |r: &Rendered, c| r.etag_header(c).to_str().unwrap().to_string();
        for c in Coding::ALL {
            assert!(r.matches(&etag(&r, c)));
            assert!(r.matches(&format!("W/{}", etag(&r, c))));
        }
        assert!(!r.matches("\"0123\""));
        assert!(!r.matches(&etag(&r, Coding::Identity).replace('"', "")));
        let other = Rendered::new("BEGIN:VCALENDAR ".into(), Utc::now());
        assert!(!r.matches(&etag(&other, Coding::Identity)));
        // The exact comparison of the short path: each ETag as given, and nothing else.
        for c in Coding::ALL {
            assert!(r.is_etag(etag(&r, c).as_bytes()));
            assert!(!r.is_etag(format!("W/{}", etag(&r, c)).as_bytes()));
            assert!(!other.is_etag(etag(&r, c).as_bytes()));
        }
    }

    #[test]
    fn compressed_forms_decode_to_the_body() {
        use std::io::Read;
        let text = "SUMMARY:Sécurité « été » 🎉\r\n".repeat(200);
        let r = Rendered::new(text.clone(), Utc::now());
        let mut out = String::new();
        flate2::read::GzDecoder::new(&r.bytes(Coding::Gzip)[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, text);
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &r.bytes(Coding::Brotli)[..], &mut out).unwrap();
        assert_eq!(out, text.as_bytes());
        assert!(r.bytes(Coding::Gzip).len() < text.len() / 10);
    }
}
