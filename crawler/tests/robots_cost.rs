//! What a hostile robots.txt costs: the memory a parse peaks at and holds,
//! counted by a global allocator, for the worst files we know (30,000
//! wildcard rules with `$`, runs of `*`, one very long rule). The time is
//! measured by `cargo bench -p crawler --bench robots`, not asserted here.
//!
//! One test in this binary, so that no other test allocates meanwhile; the
//! counts come from the `peakmem-alloc` allocator wrapper.

#![allow(clippy::unwrap_used)]

use std::alloc::System;

use crawler::robots::{MAX_ROBOTS_BYTES, RobotsPolicy};
use peakmem_alloc::{INSTRUMENTED_SYSTEM, PeakMemAlloc, PeakMemAllocTrait};
use url::Url;

#[global_allocator]
static ALLOCATOR: &PeakMemAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Most bytes a parse may have allocated at once.
const LIMIT: usize = 20 * 1024 * 1024;

/// Parses `body`; the policy, and the most bytes the parse had allocated
/// at once beyond what was allocated before it (what the policy holds
/// afterwards is part of that).
fn measure(body: &[u8]) -> (RobotsPolicy, usize) {
    ALLOCATOR.reset_peak_memory();
    let policy = RobotsPolicy::parse("ecoscout", body);
    (policy, ALLOCATOR.get_peak_memory())
}

fn url(path: &str) -> Url {
    Url::parse(&format!("https://example.com{path}")).unwrap()
}

/// The file of the issue: `Disallow: /*/private-000123/*.html$`, 30,000
/// times (cut at the body limit, like any other).
fn wildcard_rules() -> Vec<u8> {
    let mut body = b"User-agent: *\n".to_vec();
    for i in 0..30_000 {
        body.extend_from_slice(format!("Disallow: /*/private-{i:06}/*.html$\n").as_bytes());
    }
    body
}

#[test]
fn hostile_files_are_parsed_in_bounded_memory() {
    let body = wildcard_rules();
    assert!(body.len() > MAX_ROBOTS_BYTES);
    let (policy, peak) = measure(&body);
    assert!(peak < LIMIT, "peak {peak} bytes");
    assert!(!policy.allowed(&url("/d/private-000123/e.html")));
    assert!(policy.allowed(&url("/d/private-000123/e.html?page=2")));
    assert!(policy.allowed(&url("/d/private-029999/e.html")), "cut off");
    assert!(policy.allowed(&url("/d/public/e.html")));

    // Runs of `*` between short parts, with an anchor, as many as fit
    // whole (a rule cut at the limit would be another one).
    let mut body = b"User-agent: *\n".to_vec();
    for i in 0.. {
        let rule = format!("Disallow: /{}{i}{}$\n", "*".repeat(40), "*a".repeat(20));
        if body.len() + rule.len() > MAX_ROBOTS_BYTES {
            break;
        }
        body.extend_from_slice(rule.as_bytes());
    }
    let (policy, peak) = measure(&body);
    assert!(peak < LIMIT, "peak {peak} bytes");
    let target = format!("/7{}", "a".repeat(20));
    assert!(!policy.allowed(&url(&target)));
    assert!(policy.allowed(&url(&format!("{target}b"))));
    assert!(policy.allowed(&url("/b")));

    // One rule as long as the file may be.
    let mut body = b"User-agent: *\nDisallow: /".to_vec();
    body.extend_from_slice(&b"x*".repeat((MAX_ROBOTS_BYTES - body.len()) / 2 - 1));
    body.push(b'$');
    let (policy, peak) = measure(&body);
    assert!(peak < LIMIT, "peak {peak} bytes");
    assert!(policy.allowed(&url(&format!("/{}", "x".repeat(1000)))));
}
