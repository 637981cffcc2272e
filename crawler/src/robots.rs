//! robots.txt: parsed once per host, and matched in time and memory
//! linear in its rules.
//!
//! [`RobotsPolicy`] answers three questions about one host: may a URL be
//! fetched ([`RobotsPolicy::allowed`]), how long to wait between requests
//! ([`RobotsPolicy::crawl_delay`]) and which sitemaps the host names
//! ([`RobotsPolicy::sitemaps`]). Matching follows RFC 9309 and, where the
//! RFC is silent, Google's reference parser.
//!
//! Each line is read the way texting_robots (which this module replaced)
//! read it, so that a file means what it meant before:
//!
//! - A directive name (any case, with the misspellings crawlers accept),
//!   then `:` after optional blanks, or at least one blank; the value runs
//!   to `#` and is trimmed. Lines end at LF, CR or NUL. Other lines are
//!   ignored.
//! - `User-agent` values are cut to their product token (the leading
//!   letters, `-` and `_`), so `User-agent: ecoscout/1.0` and
//!   `User-agent: EcoScout Bot` both name `ecoscout`; `*` stays `*`.
//! - `Allow` and `Disallow` patterns, and the path and query of every URL
//!   checked, are percent-normalised the same way: an escaped unreserved
//!   character (`A-Z a-z 0-9 - . _ ~`) is decoded (RFC 9309 §2.2.2),
//!   remaining escapes are upper-cased, and bytes outside printable ASCII,
//!   and `"`, `<`, `>`, `` ` ``, are escaped. A `$` anywhere but at the end of
//!   a pattern is a literal `$` (escaped to `%24` on both sides).
//! - An empty `Allow` or `Disallow` matches nothing, but still ends the
//!   list of `User-agent` lines of its group.
//! - Consecutive `User-agent` lines open a group; the groups naming our
//!   agent apply, or else the `*` groups. Rules in a file without any
//!   `User-agent` line apply to all agents (RFC 9309 would ignore them;
//!   honouring them is the cautious reading). `Crawl-delay` is read as a
//!   member of the group it appears in, as crawlers that honour it do, so
//!   it ends a group's list of `User-agent` lines (Google ignores the line,
//!   and would let the next `User-agent` line join the group); the first
//!   `Crawl-delay` of the group that applies to us counts or, failing
//!   that, the last one before the first `User-agent` line.
//!
//! A rule is kept as its pattern string, never compiled: a pattern is a
//! literal prefix and segments between `*`s, matched left to right by
//! substring search, and a final `$` anchors the last segment at the end.
//! The longest matching pattern wins, `Allow` on a tie. The rules are kept
//! in that order, so the first match decides: a check costs at most one
//! pass over each rule, and a file of 30,000 wildcard rules is held in a
//! few megabytes.

use std::cmp::Reverse;
use std::sync::Arc;
use std::time::Duration;

use url::{Position, Url};

/// Largest robots.txt body read, in bytes (Google reads 500 KiB). A larger
/// body is truncated at this size before parsing.
pub const MAX_ROBOTS_BYTES: usize = 512 * 1024;

/// Longest Crawl-delay honoured; a larger value is capped to this.
pub const MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);

/// Most sitemap URLs kept from one robots.txt.
pub const MAX_ROBOTS_SITEMAPS: usize = 50;

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

// The directive names read (including the misspellings crawlers accept),
// in the order they are tried.
const USER_AGENT_KEYS: &[&[u8]] = &[b"user-agent", b"user agent", b"useragent"];
const ALLOW_KEYS: &[&[u8]] = &[b"allow"];
const DISALLOW_KEYS: &[&[u8]] = &[
    b"disallow",
    b"dissallow",
    b"dissalow",
    b"disalow",
    b"diasllow",
    b"disallaw",
];
const SITEMAP_KEYS: &[&[u8]] = &[b"sitemap", b"site-map", b"site map"];
const CRAWL_DELAY_KEYS: &[&[u8]] = &[b"crawl-delay", b"crawl delay", b"crawldelay"];

/// What a host's robots.txt allows for our user agent.
///
/// Cheap to clone: the rules and the sitemap list are shared.
#[derive(Debug, Clone)]
pub struct RobotsPolicy {
    rules: Rules,
    delay: Option<Duration>,
    sitemaps: Arc<[Url]>,
}

/// Which URLs a policy allows.
#[derive(Debug, Clone)]
enum Rules {
    /// Every URL.
    AllowAll,
    /// No URL but `/robots.txt`, for the reason given.
    DisallowAll(Arc<str>),
    /// As the rules of the group that applies say, in the order they are
    /// tried (longest pattern first, `Allow` first on a tie).
    Parsed(Arc<[Rule]>),
}

/// One `Allow` or `Disallow` rule.
#[derive(Debug)]
struct Rule {
    /// The percent-normalised pattern; a final `$` is an anchor.
    pattern: Box<str>,
    allow: bool,
}

/// A line that means something, borrowed from the body.
enum Line<'a> {
    UserAgent(&'a [u8]),
    Rule { allow: bool, pattern: &'a [u8] },
    CrawlDelay(f32),
}

impl RobotsPolicy {
    /// Parses a robots.txt body for `agent` (the product token, e.g. "ecoscout").
    ///
    /// Strips a UTF-8 BOM, truncates the body at [`MAX_ROBOTS_BYTES`] and
    /// tolerates invalid UTF-8 (bytes in patterns are percent-encoded as they
    /// are). Groups naming `agent` (case-insensitively) apply; when there
    /// are none, the `*` group does. An `agent` that is not a product token
    /// (letters, `-`, `_`) matches no group, so only `*` applies.
    pub fn parse(agent: &str, body: &[u8]) -> RobotsPolicy {
        let body = &body[..body.len().min(MAX_ROBOTS_BYTES)];
        let body = body.strip_prefix(BOM).unwrap_or(body);

        let agent = if is_product_token(agent) {
            agent
        } else {
            tracing::debug!(
                agent,
                "robots.txt agent is not a product token; only the * group applies"
            );
            "*"
        };

        let mut lines = Vec::new();
        let mut sitemaps: Vec<Url> = Vec::new();
        for raw in body.split(|b| matches!(b, b'\n' | b'\r' | b'\0')) {
            match directive(raw) {
                Some((Kind::UserAgent, value)) => lines.push(Line::UserAgent(agent_token(value))),
                Some((kind @ (Kind::Allow | Kind::Disallow), value)) => lines.push(Line::Rule {
                    allow: kind == Kind::Allow,
                    pattern: value,
                }),
                Some((Kind::CrawlDelay, value)) => {
                    if let Some(secs) = std::str::from_utf8(value)
                        .ok()
                        .and_then(|v| v.parse::<f32>().ok())
                        .filter(|secs| *secs >= 0.0)
                    {
                        lines.push(Line::CrawlDelay(secs));
                    }
                }
                Some((Kind::Sitemap, value)) => {
                    if sitemaps.len() < MAX_ROBOTS_SITEMAPS
                        && let Some(url) = sitemap_url(value)
                        && !sitemaps.contains(&url)
                    {
                        sitemaps.push(url);
                    }
                }
                None => {}
            }
        }

        let group = group_lines(&lines, agent);
        let delay = group
            .iter()
            .find_map(|line| match line {
                Line::CrawlDelay(secs) => Some(*secs),
                _ => None,
            })
            .or_else(|| {
                lines
                    .iter()
                    .take_while(|line| !matches!(line, Line::UserAgent(_)))
                    .filter_map(|line| match line {
                        Line::CrawlDelay(secs) => Some(*secs),
                        _ => None,
                    })
                    .last()
            })
            .and_then(delay_from_secs);
        let mut rules: Vec<Rule> = group
            .iter()
            .filter_map(|line| match line {
                Line::Rule { allow, pattern } => Some(Rule {
                    pattern: normalise_path(pattern, true).into_boxed_str(),
                    allow: *allow,
                }),
                _ => None,
            })
            .filter(|rule| !rule.pattern.is_empty())
            .collect();
        rules.sort_by_key(|rule| (Reverse(rule.pattern.len()), !rule.allow));

        RobotsPolicy {
            rules: Rules::Parsed(rules.into()),
            delay,
            sitemaps: sitemaps.into(),
        }
    }

    /// Everything allowed (robots.txt answered 4xx, or is absent).
    pub fn allow_all() -> RobotsPolicy {
        RobotsPolicy {
            rules: Rules::AllowAll,
            delay: None,
            sitemaps: Arc::new([]),
        }
    }

    /// Nothing allowed on this host for this run but `/robots.txt` itself
    /// (robots.txt answered 5xx, or timed out / could not be fetched), with a
    /// reason kept for error messages.
    pub fn disallow_all(reason: impl Into<String>) -> RobotsPolicy {
        RobotsPolicy {
            rules: Rules::DisallowAll(reason.into().into()),
            delay: None,
            sitemaps: Arc::new([]),
        }
    }

    /// The policy for a fetched robots.txt: 2xx parses the body; 429 (Too
    /// Many Requests) disallows all, as a 5xx would; any other 4xx allows
    /// all; 5xx and any other status disallow all.
    pub fn from_response(agent: &str, status: u16, body: &[u8]) -> RobotsPolicy {
        match status {
            200..=299 => RobotsPolicy::parse(agent, body),
            429 => RobotsPolicy::disallow_all("robots.txt answered HTTP 429 (too many requests)"),
            400..=499 => RobotsPolicy::allow_all(),
            _ => RobotsPolicy::disallow_all(format!("robots.txt answered HTTP {status}")),
        }
    }

    /// Whether `url` may be fetched. Path and query are what is matched (the
    /// fragment is ignored and the URL's host is not checked here).
    /// `/robots.txt` itself is always allowed.
    pub fn allowed(&self, url: &Url) -> bool {
        if url.path() == "/robots.txt" {
            return true;
        }
        match &self.rules {
            Rules::AllowAll => true,
            Rules::DisallowAll(_) => false,
            Rules::Parsed(rules) => {
                let target = match_target(url);
                rules
                    .iter()
                    .find(|rule| pattern_matches(&rule.pattern, &target))
                    .is_none_or(|rule| rule.allow)
            }
        }
    }

    /// The Crawl-delay for our agent (or `*`), if any, capped at
    /// [`MAX_CRAWL_DELAY`] and rounded to the millisecond.
    pub fn crawl_delay(&self) -> Option<Duration> {
        self.delay
    }

    /// Absolute sitemap URLs named by `Sitemap:` lines (only those that parse
    /// as http(s) URLs, without duplicates), at most [`MAX_ROBOTS_SITEMAPS`],
    /// in file order. `Sitemap:` lines apply whatever the group.
    pub fn sitemaps(&self) -> &[Url] {
        &self.sitemaps
    }

    /// Why everything is disallowed, when it is (for error messages), else None.
    pub fn refusal(&self) -> Option<&str> {
        match &self.rules {
            Rules::DisallowAll(reason) => Some(reason),
            Rules::AllowAll | Rules::Parsed(_) => None,
        }
    }
}

/// The lines of the groups that apply to `agent` (a product token or `*`):
/// those naming it, or else those of `*`; the whole file when it has no
/// `User-agent` line.
fn group_lines<'a, 'b>(lines: &'b [Line<'a>], agent: &str) -> Vec<&'b Line<'a>> {
    fn names(value: &[u8], agent: &str) -> bool {
        value.eq_ignore_ascii_case(agent.as_bytes())
    }
    let agent = if lines
        .iter()
        .any(|line| matches!(line, Line::UserAgent(value) if names(value, agent)))
    {
        agent
    } else {
        "*"
    };
    let mut applies = !lines.iter().any(|line| matches!(line, Line::UserAgent(_)));
    let mut in_agent_list = false;
    let mut group = Vec::new();
    for line in lines {
        match line {
            Line::UserAgent(value) => {
                if !in_agent_list {
                    applies = false;
                    in_agent_list = true;
                }
                applies |= names(value, agent);
            }
            other => {
                in_agent_list = false;
                if applies {
                    group.push(other);
                }
            }
        }
    }
    group
}

/// Whether the normalised `pattern` matches the normalised `target`: its
/// part before the first `*` is a prefix of the target, each further part
/// follows in order (the leftmost place found leaves the most room for the
/// rest), and with a final `$` the last part ends the target.
fn pattern_matches(pattern: &str, target: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(pattern) => (pattern, true),
        None => (pattern, false),
    };
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = target.strip_prefix(first) else {
        return false;
    };
    let mut parts = parts.peekable();
    if parts.peek().is_none() {
        return !anchored || rest.is_empty();
    }
    while let Some(part) = parts.next() {
        if anchored && parts.peek().is_none() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// A `Sitemap:` value as an absolute http(s) URL, if it is one.
fn sitemap_url(value: &[u8]) -> Option<Url> {
    let url = Url::parse(String::from_utf8_lossy(value).trim()).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.has_host()).then_some(url)
}

/// A Crawl-delay in seconds as a duration, capped at [`MAX_CRAWL_DELAY`].
fn delay_from_secs(secs: f32) -> Option<Duration> {
    if secs.is_nan() || secs < 0.0 {
        return None;
    }
    let millis = (f64::from(secs) * 1000.0)
        .round()
        .min(MAX_CRAWL_DELAY.as_millis() as f64);
    // `millis` is in 0..=60_000 here, so the cast is exact.
    Some(Duration::from_millis(millis as u64))
}

/// Whether `s` is a product token: one or more ASCII letters, `-` or `_`.
fn is_product_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_byte)
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'-' || b == b'_'
}

/// Whitespace as robots.txt parsers trim it (C `isspace`).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C)
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s
        && is_space(*first)
    {
        s = rest;
    }
    while let [rest @ .., last] = s
        && is_space(*last)
    {
        s = rest;
    }
    s
}

/// The product token a `User-agent` value names: `*` for the global group,
/// else its leading letters, `-` and `_` (possibly none, matching no one).
fn agent_token(value: &[u8]) -> &[u8] {
    if let [b'*', rest @ ..] = value
        && rest.first().is_none_or(|b| is_space(*b))
    {
        return b"*";
    }
    let end = value
        .iter()
        .position(|b| !is_token_byte(*b))
        .unwrap_or(value.len());
    &value[..end]
}

/// The directives read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    UserAgent,
    Allow,
    Disallow,
    Sitemap,
    CrawlDelay,
}

/// Splits a line into its directive and value: optional blanks, a
/// directive name (any case), then `:` after optional blanks or at least
/// one blank; the value runs to `#` and is trimmed.
fn directive(line: &[u8]) -> Option<(Kind, &[u8])> {
    let start = line
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(line.len());
    let line = &line[start..];
    let kinds: [(Kind, &[&[u8]]); 5] = [
        (Kind::UserAgent, USER_AGENT_KEYS),
        (Kind::Allow, ALLOW_KEYS),
        (Kind::Disallow, DISALLOW_KEYS),
        (Kind::Sitemap, SITEMAP_KEYS),
        (Kind::CrawlDelay, CRAWL_DELAY_KEYS),
    ];
    for (kind, keys) in kinds {
        for key in keys {
            let Some(head) = line.get(..key.len()) else {
                continue;
            };
            if !head.eq_ignore_ascii_case(key) {
                continue;
            }
            let rest = &line[key.len()..];
            let blanks = rest
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t'))
                .unwrap_or(rest.len());
            let value = match rest.get(blanks) {
                Some(b':') => &rest[blanks + 1..],
                _ if blanks > 0 => &rest[blanks..],
                _ => continue,
            };
            let end = value.iter().position(|b| *b == b'#').unwrap_or(value.len());
            return Some((kind, trim(&value[..end])));
        }
    }
    None
}

/// The string matched against the rules for `url`: its path and query,
/// normalised like the patterns.
fn match_target(url: &Url) -> String {
    let path_and_query = &url[Position::BeforePath..Position::AfterQuery];
    let mut target = normalise_path(path_and_query.as_bytes(), false);
    if !target.starts_with('/') {
        target.insert(0, '/');
    }
    target
}

/// Percent-normalises a pattern (`pattern`: a final `$` stays an anchor) or
/// a URL's path and query: escaped unreserved characters are decoded, other
/// escapes upper-cased; bytes outside printable ASCII, `"`, `<`, `>`, `` ` ``
/// and literal `$` are escaped.
fn normalise_path(raw: &[u8], pattern: bool) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        if b == b'%'
            && let Some(hi) = raw.get(i + 1).and_then(|c| hex_value(*c))
            && let Some(lo) = raw.get(i + 2).and_then(|c| hex_value(*c))
        {
            let decoded = hi << 4 | lo;
            if decoded.is_ascii_alphanumeric() || matches!(decoded, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(decoded));
            } else {
                push_escaped(&mut out, decoded);
            }
            i += 3;
            continue;
        }
        let anchor = pattern && b == b'$' && i + 1 == raw.len();
        if (b == b'$' && !anchor)
            || b <= b' '
            || b >= 0x7F
            || matches!(b, b'"' | b'<' | b'>' | b'`')
        {
            push_escaped(&mut out, b);
        } else {
            out.push(char::from(b));
        }
        i += 1;
    }
    out
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn push_escaped(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0x0F)]));
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGENT: &str = "ecoscout";

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn allowed(robots: &str, u: &str) -> bool {
        RobotsPolicy::parse(AGENT, robots.as_bytes()).allowed(&url(u))
    }

    #[test]
    fn bom_is_stripped() {
        let body = b"\xEF\xBB\xBFUser-agent: *\nDisallow: /private\n";
        let policy = RobotsPolicy::parse(AGENT, body);
        assert!(!policy.allowed(&url("https://example.com/private/a")));
        assert!(policy.allowed(&url("https://example.com/public")));
    }

    #[test]
    fn status_4xx_allows_all() {
        for status in [400, 401, 403, 404, 410, 451] {
            let policy =
                RobotsPolicy::from_response(AGENT, status, b"User-agent: *\nDisallow: /\n");
            assert!(
                policy.allowed(&url("https://example.com/anything")),
                "{status}"
            );
            assert_eq!(policy.refusal(), None);
            assert_eq!(policy.crawl_delay(), None);
            assert!(policy.sitemaps().is_empty());
        }
    }

    #[test]
    fn status_5xx_and_others_disallow_all_with_a_reason() {
        for status in [500, 502, 503, 504, 599, 100, 301, 304, 429, 600] {
            let policy = RobotsPolicy::from_response(AGENT, status, b"");
            assert!(!policy.allowed(&url("https://example.com/")), "{status}");
            assert!(
                !policy.allowed(&url("https://example.com/a?b=c")),
                "{status}"
            );
            let reason = policy.refusal().unwrap();
            assert!(reason.contains(&status.to_string()), "{reason}");
            // robots.txt itself stays fetchable, to learn when it is back.
            assert!(policy.allowed(&url("https://example.com/robots.txt")));
        }
        let policy = RobotsPolicy::disallow_all("robots.txt timed out");
        assert_eq!(policy.refusal(), Some("robots.txt timed out"));
        assert!(!policy.allowed(&url("https://example.com/x")));
    }

    #[test]
    fn status_2xx_parses_the_body() {
        let policy = RobotsPolicy::from_response(AGENT, 200, b"User-agent: *\nDisallow: /x\n");
        assert!(!policy.allowed(&url("https://example.com/x")));
        assert!(policy.allowed(&url("https://example.com/y")));
        assert_eq!(policy.refusal(), None);
    }

    #[test]
    fn robots_txt_is_always_allowed() {
        assert!(allowed(
            "User-agent: *\nDisallow: /\n",
            "https://example.com/robots.txt"
        ));
        assert!(!allowed(
            "User-agent: *\nDisallow: /\n",
            "https://example.com/robots.txt.bak"
        ));
    }

    #[test]
    fn crawl_delay_is_parsed_and_capped() {
        let delay = |body: &str| RobotsPolicy::parse(AGENT, body.as_bytes()).crawl_delay();
        assert_eq!(
            delay("User-agent: *\nCrawl-delay: 2.5\n"),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(
            delay("User-agent: *\nCrawl-delay: 0.1\n"),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            delay("User-agent: *\nCrawl-delay: 10\nDisallow: /x\n"),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            delay("User-agent: *\nCrawl-delay: 3600\n"),
            Some(MAX_CRAWL_DELAY)
        );
        assert_eq!(
            delay("User-agent: *\nCrawl-delay: 1e40\n"),
            Some(MAX_CRAWL_DELAY)
        );
        assert_eq!(
            delay("User-agent: *\nCrawl-delay: inf\n"),
            Some(MAX_CRAWL_DELAY)
        );
        assert_eq!(delay("User-agent: *\nCrawl-delay: NaN\n"), None);
        assert_eq!(delay("User-agent: *\nCrawl-delay: -5\n"), None);
        assert_eq!(delay("User-agent: *\nCrawl-delay: soon\n"), None);
        assert_eq!(delay("User-agent: *\nDisallow: /\n"), None);
        // Our group's delay, not the * group's.
        let both = "User-agent: *\nCrawl-delay: 30\n\nUser-agent: EcoScout\nCrawl-delay: 4\nDisallow: /x\n";
        assert_eq!(delay(both), Some(Duration::from_secs(4)));
        // Another agent's delay does not apply to us.
        assert_eq!(delay("User-agent: otherbot\nCrawl-delay: 30\n"), None);
    }

    #[test]
    fn crawl_delay_belongs_to_the_group_it_is_in() {
        let body = "User-agent: *\nCrawl-delay: 10\n\nUser-agent: otherbot\nDisallow: /private\n";
        let policy = RobotsPolicy::parse(AGENT, body.as_bytes());
        assert!(policy.allowed(&url("https://example.com/private")));
        assert_eq!(policy.crawl_delay(), Some(Duration::from_secs(10)));
        // A delay before the first User-agent line applies when our group has none.
        let body = "Crawl-delay: 7\nUser-agent: *\nDisallow: /x\n";
        assert_eq!(
            RobotsPolicy::parse(AGENT, body.as_bytes()).crawl_delay(),
            Some(Duration::from_secs(7))
        );
    }

    #[test]
    fn sitemaps_are_collected() {
        let body = "Sitemap: https://example.com/sitemap.xml\n\
                    User-agent: *\n\
                    Disallow: /x\n\
                    sitemap:http://example.com/news.xml # comment\n\
                    Sitemap: /relative.xml\n\
                    Sitemap: not a url\n\
                    Sitemap: ftp://example.com/s.xml\n\
                    Sitemap: mailto:a@example.com\n\
                    Sitemap:\n\
                    Sitemap: https://example.com/sitemap.xml\n\
                    User-agent: otherbot\n\
                    Sitemap: https://cdn.example.net/other.xml.gz\n";
        let policy = RobotsPolicy::parse(AGENT, body.as_bytes());
        let got: Vec<&str> = policy.sitemaps().iter().map(Url::as_str).collect();
        assert_eq!(
            got,
            [
                "https://example.com/sitemap.xml",
                "http://example.com/news.xml",
                "https://cdn.example.net/other.xml.gz"
            ]
        );
    }

    #[test]
    fn sitemaps_are_capped() {
        let body: String = (0..80)
            .map(|i| format!("Sitemap: https://example.com/s{i}.xml\n"))
            .collect();
        let policy = RobotsPolicy::parse(AGENT, body.as_bytes());
        assert_eq!(policy.sitemaps().len(), MAX_ROBOTS_SITEMAPS);
        assert_eq!(
            policy.sitemaps()[49].as_str(),
            "https://example.com/s49.xml"
        );
    }

    #[test]
    fn our_group_wins_over_star() {
        let body = "User-agent: *\nDisallow: /\n\nUser-agent: EcoScout\nDisallow: /private/\n";
        assert!(allowed(body, "https://example.com/products"));
        assert!(!allowed(body, "https://example.com/private/x"));
        // Another agent gets the * group.
        let other = RobotsPolicy::parse("otherbot", body.as_bytes());
        assert!(!other.allowed(&url("https://example.com/products")));
    }

    #[test]
    fn our_group_replaces_star_entirely() {
        let body = "User-agent: *\nDisallow: /a/\n\nUser-agent: ecoscout\nDisallow: /b/\n";
        assert!(allowed(body, "https://example.com/a/1"));
        assert!(!allowed(body, "https://example.com/b/1"));
    }

    #[test]
    fn agent_lines_are_read_up_to_the_product_token() {
        for line in [
            "ecoscout/1.0",
            "EcoScout (+https://ecoscout.example)",
            "ECOSCOUT",
            "  ecoscout  ",
        ] {
            let body = format!("User-agent: *\nDisallow: /\n\nUser-agent: {line}\nAllow: /\n");
            assert!(allowed(&body, "https://example.com/x"), "{line}");
        }
        // A longer token is another agent.
        let body = "User-agent: ecoscoutbot\nDisallow: /\n";
        assert!(allowed(body, "https://example.com/x"));
    }

    #[test]
    fn an_agent_that_is_not_a_product_token_gets_star() {
        let body = "User-agent: *\nDisallow: /\n\nUser-agent: ecoscout\nAllow: /\n";
        for agent in ["ecoscout/0.1.0 (+https://example.org)", "", "eco scout"] {
            let policy = RobotsPolicy::parse(agent, body.as_bytes());
            assert!(!policy.allowed(&url("https://example.com/x")), "{agent:?}");
        }
    }

    #[test]
    fn disallow_directory_is_a_prefix_match() {
        let body = "User-agent: *\nDisallow: /certifications/\n";
        assert!(!allowed(body, "https://example.com/certifications/"));
        assert!(!allowed(body, "https://example.com/certifications/x?y=1"));
        assert!(!allowed(body, "https://example.com/certifications/a/b.pdf"));
        assert!(allowed(body, "https://example.com/certifications"));
        assert!(allowed(body, "https://example.com/certifications-other"));
        assert!(allowed(body, "https://example.com/Certifications/"));
        assert!(allowed(body, "https://example.com/about/certifications/"));
        // The fragment is not part of what is matched.
        assert!(allowed(
            body,
            "https://example.com/certifications#/certifications/"
        ));
    }

    #[test]
    fn longest_match_wins_and_allow_wins_ties() {
        let body = "User-agent: *\nDisallow: /docs/\nAllow: /docs/public/\nDisallow: /docs/public/drafts\n";
        assert!(!allowed(body, "https://example.com/docs/x"));
        assert!(allowed(body, "https://example.com/docs/public/x"));
        assert!(!allowed(body, "https://example.com/docs/public/drafts/1"));
        assert!(allowed(
            "User-agent: *\nDisallow: /a\nAllow: /a\n",
            "https://example.com/a"
        ));
    }

    #[test]
    fn wildcards_and_anchors() {
        let body = "User-agent: *\nDisallow: /*.pdf$\nDisallow: /search*q=\n";
        assert!(!allowed(body, "https://example.com/files/report.pdf"));
        assert!(allowed(
            body,
            "https://example.com/files/report.pdf?download=1"
        ));
        assert!(!allowed(
            body,
            "https://example.com/search/?lang=en&q=steel"
        ));
        assert!(allowed(body, "https://example.com/search/?lang=en"));
    }

    #[test]
    fn dollar_inside_a_pattern_is_literal() {
        let body = "User-agent: *\nDisallow: /price$list\n";
        assert!(!allowed(body, "https://example.com/price$list/2024"));
        assert!(!allowed(body, "https://example.com/price%24list"));
        assert!(allowed(body, "https://example.com/price"));
    }

    #[test]
    fn percent_encoding_is_normalised() {
        // Escaped unreserved characters are decoded on both sides (RFC 9309 §2.2.2).
        let body = "User-agent: *\nDisallow: /%7Euser/\nDisallow: /caf%c3%a9\nDisallow: /a%2fb\n";
        assert!(!allowed(body, "https://example.com/~user/x"));
        assert!(!allowed(body, "https://example.com/%7euser/x"));
        // Hex case does not matter; non-ASCII in the URL arrives encoded.
        assert!(!allowed(body, "https://example.com/café"));
        assert!(!allowed(body, "https://example.com/caf%C3%A9"));
        // An escaped reserved character is not the character itself.
        assert!(!allowed(body, "https://example.com/a%2Fb"));
        assert!(allowed(body, "https://example.com/a/b"));
        // Non-ASCII in a pattern is encoded before matching.
        assert!(!allowed(
            "User-agent: *\nDisallow: /ツ\n",
            "https://example.com/%E3%83%84"
        ));
        // So are bytes that are not UTF-8 (here Latin-1 é).
        let latin1 = b"User-agent: *\nDisallow: /caf\xE9\n";
        let policy = RobotsPolicy::parse(AGENT, latin1);
        assert!(!policy.allowed(&url("https://example.com/caf%E9")));
        assert!(policy.allowed(&url("https://example.com/cafe")));
    }

    #[test]
    fn empty_disallow_matches_nothing_and_ends_the_agent_list() {
        let body = "User-agent: ecoscout\nDisallow:\n\nUser-agent: otherbot\nDisallow: /\n";
        assert!(allowed(body, "https://example.com/x"));
        let other = RobotsPolicy::parse("otherbot", body.as_bytes());
        assert!(!other.allowed(&url("https://example.com/x")));
        // Merged groups: an empty Disallow does not outweigh `Disallow: /`.
        let merged = "User-agent: ecoscout\nDisallow:\n\nUser-agent: ecoscout\nDisallow: /\n";
        assert!(!allowed(merged, "https://example.com/x"));
    }

    #[test]
    fn rules_without_any_agent_line_apply_to_everyone() {
        assert!(!allowed(
            "Disallow: /private\n",
            "https://example.com/private"
        ));
        assert!(allowed(
            "Disallow: /private\n",
            "https://example.com/public"
        ));
    }

    #[test]
    fn comments_line_endings_and_missing_colons() {
        let body = "# hello\r\nUser-agent: * # everyone\r\nDisallow /a # note\rDisallow: /b#c\r\n";
        assert!(!allowed(body, "https://example.com/a"));
        assert!(!allowed(body, "https://example.com/b"));
        assert!(allowed(body, "https://example.com/c"));
    }

    #[test]
    fn long_wildcard_and_dollar_rules_are_matched_exactly() {
        let stars = "a*".repeat(100);
        let body = format!(
            "User-agent: *\nDisallow: /{stars}z$\nAllow: /x/{stars}$\nDisallow: /x/\nDisallow: /private\n"
        );
        let policy = RobotsPolicy::parse(AGENT, body.as_bytes());
        assert!(!policy.allowed(&url("https://example.com/private")));
        assert!(!policy.allowed(&url("https://example.com/x/aaa")));
        let long = "a".repeat(100);
        assert!(policy.allowed(&url(&format!("https://example.com/x/{long}"))));
        assert!(!policy.allowed(&url(&format!("https://example.com/{long}z"))));
        // The anchor holds: more after the `z` is not matched.
        assert!(policy.allowed(&url(&format!("https://example.com/{long}zq"))));
        assert!(policy.allowed(&url("https://example.com/abz")));
        assert!(policy.allowed(&url("https://example.com/b")));
    }

    #[test]
    fn patterns_match_as_prefixes_with_wildcards_and_anchors() {
        let cases = [
            ("/a", "/a", true),
            ("/a", "/ab", true),
            ("/a", "/", false),
            ("/a$", "/a", true),
            ("/a$", "/ab", false),
            ("$", "/", false),
            ("*$", "/anything", true),
            ("/*", "/", true),
            ("/*b", "/ab", true),
            ("/*b", "/a", false),
            ("/a*b$", "/abb", true),
            ("/a*b*b$", "/abb", true),
            ("/a*b*b$", "/ab", false),
            ("/a**b", "/a-b", true),
            ("/*.html$", "/x.html", true),
            ("/*.html$", "/x.html?q", false),
            ("/*/p-1/*.html$", "/d/p-1/e.html", true),
            ("/*/p-1/*.html$", "/d/p-2/e.html", false),
            ("/x*y$", "/xy", true),
            ("/xy*y$", "/xy", false),
        ];
        for (pattern, target, expected) in cases {
            assert_eq!(
                pattern_matches(pattern, target),
                expected,
                "{pattern} against {target}"
            );
        }
    }

    #[test]
    fn oversized_body_is_truncated() {
        let mut body = b"User-agent: *\nDisallow: /early\n".to_vec();
        while body.len() < 2 * 1024 * 1024 {
            body.extend_from_slice(b"# padding padding padding padding padding padding padding\n");
        }
        body.extend_from_slice(b"Disallow: /late\n");
        let policy = RobotsPolicy::parse(AGENT, &body);
        assert!(!policy.allowed(&url("https://example.com/early")));
        assert!(policy.allowed(&url("https://example.com/late")));

        let mut rules = b"User-agent: *\n".to_vec();
        let mut i = 0;
        while rules.len() < 2 * 1024 * 1024 {
            rules.extend_from_slice(format!("Disallow: /p{i}/\n").as_bytes());
            i += 1;
        }
        let policy = RobotsPolicy::parse(AGENT, &rules);
        assert!(!policy.allowed(&url("https://example.com/p1/x")));
        assert!(policy.allowed(&url(&format!("https://example.com/p{}/x", i - 1))));
    }

    #[test]
    fn invalid_utf8_and_garbage_do_not_panic() {
        let body = b"User-agent: *\n\xFF\xFE garbage\nDisallow: /\xC3(\nDisallow: /ok\nSitemap: https://example.com/\xFF.xml\n\xF0\x9F\n";
        let policy = RobotsPolicy::parse(AGENT, body);
        assert!(!policy.allowed(&url("https://example.com/ok")));
        assert!(policy.allowed(&url("https://example.com/other")));
        assert_eq!(policy.sitemaps().len(), 1);

        // Pseudo-random bytes, and random mixes of directive fragments.
        let fragments: &[&[u8]] = &[
            b"User-agent:",
            b"Disallow:",
            b"Allow:",
            b"Crawl-delay:",
            b"Sitemap:",
            b"*",
            b"$",
            b"%",
            b"%4",
            b"/",
            b"\n",
            b"\r",
            b"\0",
            b"#",
            b" ",
            b"\t",
            b"\xEF\xBB\xBF",
            b"\xFF",
            b"ecoscout",
            b"1e99",
            b"?",
            b"%E3",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..300 {
            let mut body = Vec::new();
            for _ in 0..(next() % 400) {
                if round % 2 == 0 {
                    body.push((next() & 0xFF) as u8);
                } else {
                    body.extend_from_slice(fragments[(next() % fragments.len() as u64) as usize]);
                }
            }
            let policy = RobotsPolicy::parse(AGENT, &body);
            let _ = policy.allowed(&url("https://example.com/a$b*c%ZZ?q=%E3%83"));
            let _ = policy.crawl_delay();
            let _ = policy.sitemaps();
        }
    }

    #[test]
    fn normalised_targets() {
        assert_eq!(
            match_target(&url("https://example.com/a%7e%2f?q=%41$#frag")),
            "/a~%2F?q=A%24"
        );
        assert_eq!(match_target(&url("https://example.com")), "/");
        assert_eq!(
            match_target(&url("mailto:someone@example.com")),
            "/someone@example.com"
        );
        assert_eq!(normalise_path(b"/a$b$", true), "/a%24b$");
        assert_eq!(
            normalise_path(b"/a b\"<>`\x7F%zz%", true),
            "/a%20b%22%3C%3E%60%7F%zz%"
        );
    }
}
