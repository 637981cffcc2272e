//! robots.txt parsing and matching on hostile files: 30,000 wildcard rules
//! with `$` (cut at the body limit), and a check of one URL against them.
//!
//!     cargo bench -p crawler --bench robots

#![allow(clippy::unwrap_used, missing_docs)]

use crawler::robots::RobotsPolicy;
use criterion::{Criterion, criterion_group, criterion_main};
use url::Url;

fn wildcard_rules() -> Vec<u8> {
    let mut body = b"User-agent: *\n".to_vec();
    for i in 0..30_000 {
        body.extend_from_slice(format!("Disallow: /*/private-{i:06}/*.html$\n").as_bytes());
    }
    body
}

fn robots(c: &mut Criterion) {
    let body = wildcard_rules();
    c.bench_function("parse 30,000 wildcard rules", |b| {
        b.iter(|| RobotsPolicy::parse("ecoscout", &body))
    });
    let policy = RobotsPolicy::parse("ecoscout", &body);
    let miss = Url::parse("https://example.com/catalogue/private-999999/item.html").unwrap();
    c.bench_function("check a URL no rule matches", |b| {
        b.iter(|| policy.allowed(&miss))
    });
}

criterion_group!(benches, robots);
criterion_main!(benches);
