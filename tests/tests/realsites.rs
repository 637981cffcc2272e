//! End to end on real company websites: crawl the static copies in
//! `../shared/realsites` over loopback and compare the Certifications pages
//! found with the corpus's hand-made truth. The sites on odd lines of its
//! `truth.jsonl` are for development; those on even lines give the figure
//! that is reported (README, "Limits") and asserted here.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use common::realsites::{RealSite, RealSites, normalised_page};
use crawler::crawl::crawl;
use crawler::observation::Observation;
use crawler::polite::{PoliteFetcher, Politeness};
use crawler::screen::{ScreenConfig, Screener};
use crawler::seeds::read_seeds;
use eco::TrustList;
use url::Url;

/// A trust list of one test authority: the corpus has no credentials.
const TRUST: &str = r#"
[[authority]]
id = "w3c"
name = "W3C test issuer"
country = "US"
issuer = "https://vc.example/issuers/5678"
[[authority.key]]
id = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
public_key_multibase = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
"#;

/// How one half of the corpus came out.
#[derive(Default)]
struct Score {
    positives: usize,
    found: usize,
    negatives: usize,
    clean: usize,
    misses: Vec<String>,
    /// Truth documents (on pages found) that could be read within
    /// `--max-documents`, and how many of them were.
    documents_due: usize,
    documents_found: usize,
    /// Documents recorded, and how many of them the truth lists.
    documents_recorded: usize,
    documents_listed: usize,
}

async fn crawl_corpus(corpus: Arc<RealSites>) -> BTreeMap<String, Observation> {
    let port = Arc::clone(&corpus).serve().await;
    let dir = tempfile::tempdir().unwrap();
    let mut seeds = String::from("name,website\n");
    for slug in corpus.sites.keys() {
        seeds.push_str(&format!("{slug},http://{slug}.test:{port}/\n"));
    }
    std::fs::write(dir.path().join("seeds.csv"), seeds).unwrap();
    let seeds = read_seeds(&dir.path().join("seeds.csv")).unwrap();
    let trust = Arc::new(TrustList::from_toml(TRUST, "trust.toml").unwrap());
    let fetcher = PoliteFetcher::new(
        common::loopback_fetcher(Duration::from_secs(5)),
        Politeness {
            delay: Duration::ZERO,
            ..Politeness::default()
        },
    );
    let screener = Arc::new(Screener::new(fetcher, trust, ScreenConfig::default()));
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let task = tokio::spawn(crawl(screener, seeds.seeds, 16, tx));
    let mut observations = BTreeMap::new();
    while let Some(o) = rx.recv().await {
        let slug = o.domain.trim_end_matches(".test").to_owned();
        observations.insert(slug, o);
    }
    task.await.unwrap();
    observations
}

fn score(
    corpus: &RealSites,
    observations: &BTreeMap<String, Observation>,
    development: bool,
) -> Score {
    let mut s = Score::default();
    for site in corpus
        .sites
        .values()
        .filter(|s| s.in_development_half() == development)
    {
        let o = &observations[&site.slug];
        let mut found: BTreeSet<String> = o
            .cert_pages
            .iter()
            .map(|u| normalised_page(Url::parse(u).unwrap().path()))
            .collect();
        if site.home != "index.html" && found.contains("index.html") {
            found.insert(normalised_page(&site.home));
        }
        let want: BTreeSet<String> = site.cert_pages.iter().map(|p| normalised_page(p)).collect();
        let right = if want.is_empty() {
            s.negatives += 1;
            s.clean += usize::from(found.is_empty());
            found.is_empty()
        } else {
            s.positives += 1;
            let hit = !found.is_disjoint(&want);
            s.found += usize::from(hit);
            hit
        };
        let extra: Vec<&String> = found.difference(&want).collect();
        if right && !want.is_empty() && !extra.is_empty() {
            s.misses
                .push(format!("{} (right, also claims {extra:?})", site.slug));
        }
        count_documents(site, o, &mut s);
        if !right {
            s.misses.push(format!(
                "{}: want {want:?}, found {found:?}; evidence {:?}",
                site.slug, o.cert_page_evidence
            ));
        }
    }
    s
}

/// Compares the documents recorded on a site with the truth's
/// `cert_links` of its Certifications pages that were found.
fn count_documents(site: &RealSite, o: &Observation, s: &mut Score) {
    let pages: Vec<Url> = o
        .cert_pages
        .iter()
        .filter_map(|u| Url::parse(u).ok())
        .filter(|u| {
            site.cert_pages
                .iter()
                .any(|p| normalised_page(u.path()) == normalised_page(p))
        })
        .collect();
    let Some(page) = pages.first() else {
        return;
    };
    let want: BTreeSet<String> = site
        .cert_links
        .iter()
        .filter_map(|l| page.join(l.trim()).ok())
        .map(|u| u.to_string())
        .collect();
    let recorded: BTreeSet<String> = o.documents.iter().map(|d| d.url.clone()).collect();
    s.documents_due += want.len().min(ScreenConfig::default().max_documents);
    s.documents_found += want.intersection(&recorded).count();
    s.documents_recorded += recorded.len();
    s.documents_listed += recorded.iter().filter(|u| want.contains(*u)).count();
    if std::env::var_os("REALSITES_DEBUG").is_some() && site.in_development_half() {
        let missed: Vec<&String> = want.difference(&recorded).take(4).collect();
        let extra: Vec<&String> = recorded.difference(&want).take(4).collect();
        println!("    {}: missed {missed:?} extra {extra:?}", site.slug);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "reads ../shared: run by .ci/run"]
async fn shared_realsites_certifications_pages_are_found() {
    let corpus = Arc::new(RealSites::load());
    let observations = crawl_corpus(Arc::clone(&corpus)).await;
    assert_eq!(
        observations.len(),
        corpus.sites.len(),
        "every site has a record"
    );
    for (half, development) in [("odd (development)", true), ("even (reported)", false)] {
        let s = score(&corpus, &observations, development);
        println!(
            "{half}: {}/{} Certifications pages found, {}/{} sites without one left clean",
            s.found, s.positives, s.clean, s.negatives
        );
        println!(
            "  certificate documents: {}/{} of the truth's found (capped at --max-documents), \
             {}/{} of those recorded are in the truth",
            s.documents_found, s.documents_due, s.documents_listed, s.documents_recorded
        );
        for miss in &s.misses {
            println!("  {miss}");
        }
        if !development {
            assert!(
                s.found * 100 >= s.positives * 95,
                "even half: {}/{} pages found, below 95%: {:#?}",
                s.found,
                s.positives,
                s.misses
            );
            assert_eq!(
                s.clean, s.negatives,
                "a page claimed on a site without one: {:#?}",
                s.misses
            );
        }
    }
}
