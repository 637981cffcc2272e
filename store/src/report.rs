//! Adoption figures: per group (country or region) and run, how many
//! suppliers show a Certifications page, a verification entry, an API, a
//! verified e-CO, a red flag; the median score and the tier distribution.

use std::collections::BTreeMap;

use crawler::observation::EntryKind;
use schemars::JsonSchema;
use scoring::Tier;
use serde::Serialize;

use crate::{Filter, Record, RunId, RunSelect, Store, StoreError};

/// How rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// By country code.
    Country,
    /// By region.
    Region,
}

/// Which runs a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runs {
    /// Every supplier's latest observation, as one snapshot.
    Latest,
    /// Each run separately: the trend from run to run.
    All,
}

/// One group in one run.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AdoptionRow {
    /// The run (for a latest snapshot, the newest run in it).
    pub run_id: RunId,
    /// Country code or region.
    pub group: String,
    /// Suppliers screened.
    pub screened: u64,
    /// With a Certifications page.
    pub cert_page: u64,
    /// With any verification entry.
    pub entry: u64,
    /// With an API (JSON-LD or OpenAPI).
    pub api: u64,
    /// With at least one verified e-CO.
    pub verified: u64,
    /// With a red flag.
    pub red_flag: u64,
    /// Median score.
    pub median_score: f64,
    /// Suppliers per tier.
    pub tiers: BTreeMap<String, u64>,
}

impl AdoptionRow {
    /// A share of the screened suppliers, in percent.
    pub fn share(&self, count: u64) -> f64 {
        if self.screened == 0 {
            0.0
        } else {
            100.0 * count as f64 / self.screened as f64
        }
    }
}

#[derive(Default)]
struct Acc {
    run_id: RunId,
    rows: u64,
    cert_page: u64,
    entry: u64,
    api: u64,
    verified: u64,
    red_flag: u64,
    scores: Vec<u32>,
    tiers: BTreeMap<String, u64>,
}

impl Acc {
    fn add(&mut self, r: &Record) {
        let o = &r.observation;
        self.run_id = self.run_id.max(r.run_id);
        self.rows += 1;
        self.cert_page += u64::from(!o.cert_pages.is_empty());
        self.entry += u64::from(!o.entries.is_empty());
        self.api += u64::from(
            o.entries
                .iter()
                .any(|e| matches!(e.kind, EntryKind::Api | EntryKind::Openapi)),
        );
        self.verified += u64::from(
            o.certificates
                .iter()
                .any(|c| c.verdict == eco::Verdict::Verified),
        );
        self.red_flag += u64::from(!r.readiness.red_flags.is_empty());
        self.scores.push(r.readiness.score);
        *self
            .tiers
            .entry(r.readiness.tier.as_str().to_owned())
            .or_default() += 1;
    }

    fn row(mut self, group: String) -> AdoptionRow {
        self.scores.sort_unstable();
        let n = self.scores.len();
        let median = match n {
            0 => 0.0,
            _ if n % 2 == 1 => f64::from(self.scores[n / 2]),
            _ => (f64::from(self.scores[n / 2 - 1]) + f64::from(self.scores[n / 2])) / 2.0,
        };
        for t in [Tier::A, Tier::B, Tier::C, Tier::D, Tier::R] {
            self.tiers.entry(t.as_str().to_owned()).or_default();
        }
        AdoptionRow {
            run_id: self.run_id,
            group,
            screened: self.rows,
            cert_page: self.cert_page,
            entry: self.entry,
            api: self.api,
            verified: self.verified,
            red_flag: self.red_flag,
            median_score: median,
            tiers: self.tiers,
        }
    }
}

/// The adoption rows, sorted by run then group.
pub fn adoption(
    store: &dyn Store,
    group: Group,
    runs: Runs,
) -> Result<Vec<AdoptionRow>, StoreError> {
    let selects: Vec<RunSelect> = match runs {
        Runs::Latest => vec![RunSelect::Latest],
        Runs::All => store
            .runs()?
            .into_iter()
            .map(|r| RunSelect::Id(r.id))
            .collect(),
    };
    let mut rows = Vec::new();
    for select in selects {
        let mut groups: BTreeMap<String, Acc> = BTreeMap::new();
        store.for_each(
            &Filter {
                run: select,
                ..Filter::default()
            },
            &mut |r| {
                let key = match group {
                    Group::Country => r.observation.country.clone(),
                    Group::Region => r.observation.region.clone(),
                };
                let key = if key.is_empty() {
                    "(none)".to_owned()
                } else {
                    key
                };
                groups.entry(key).or_default().add(&r);
                Ok(())
            },
        )?;
        rows.extend(groups.into_iter().map(|(g, acc)| acc.row(g)));
    }
    Ok(rows)
}
