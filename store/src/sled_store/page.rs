//! [`Store::page`](crate::Store::page) on sled: a keyset page that reads
//! only as far as it needs.
//!
//! Each walk starts at the first key after the cursor and stops as soon as
//! the page is full. With a tier, country or region filter the walk reads
//! that index; several tiers (or countries) are several index ranges, each
//! already in domain order, merged lazily. Without one it reads `latest`
//! (or one run's `obs` keys) from the cursor on. Every record read is
//! still checked with [`Filter::accepts`], so `min_score` (and any field
//! that no index chose) filters while walking.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::Bound;

use sled::{IVec, Tree};

use super::{Field, SledStore, decode, err};
use crate::model::{Filter, Record, RunId, RunSelect};
use crate::{Store as _, StoreError};

/// The entries of a tree whose keys start with a prefix and continue past
/// a cursor, in key order, as (key without the prefix, value).
struct Walk {
    iter: sled::Iter,
    prefix: Vec<u8>,
    done: bool,
}

impl Walk {
    /// The entries of `tree` under `prefix` whose rest sorts after `after`
    /// (all of them without a cursor).
    fn new(tree: &Tree, prefix: Vec<u8>, after: Option<&str>) -> Walk {
        let start = match after {
            Some(after) => {
                let mut key = prefix.clone();
                key.extend_from_slice(after.as_bytes());
                Bound::Excluded(key)
            }
            None => Bound::Included(prefix.clone()),
        };
        Walk {
            iter: tree.range((start, Bound::Unbounded)),
            prefix,
            done: false,
        }
    }
}

impl Iterator for Walk {
    type Item = Result<(Vec<u8>, IVec), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = match self.iter.next()? {
            Ok((key, value)) => match key.strip_prefix(self.prefix.as_slice()) {
                Some(rest) => Ok((rest.to_vec(), value)),
                None => {
                    self.done = true;
                    return None;
                }
            },
            Err(e) => Err(err(e)),
        };
        Some(item)
    }
}

/// Where a walk's entries lead to their records.
#[derive(Clone, Copy)]
enum Source {
    /// Index entries: the record is the supplier's in `RunSelect`.
    Index(RunSelect),
    /// `latest`: the value is the run id.
    Latest,
    /// One run's `obs`: the value is the record.
    Run,
}

/// The index prefixes a filter reads, one per value of the chosen field
/// (tiers first, then countries, then region, as `for_each` chooses), or
/// None when it names none of them.
fn index_prefixes(filter: &Filter) -> Option<Vec<Vec<u8>>> {
    let prefix = |field: Field, value: &str| -> Vec<u8> {
        let mut p = match filter.run {
            RunSelect::Latest => vec![b'L'],
            RunSelect::Id(id) => {
                let mut p = vec![b'R'];
                p.extend_from_slice(&id.to_be_bytes());
                p
            }
        };
        p.push(field as u8);
        p.extend_from_slice(value.as_bytes());
        p.push(0);
        p
    };
    let mut prefixes: Vec<Vec<u8>> = if !filter.tiers.is_empty() {
        filter
            .tiers
            .iter()
            .map(|t| prefix(Field::Tier, t.as_str()))
            .collect()
    } else if !filter.countries.is_empty() {
        filter
            .countries
            .iter()
            .map(|c| prefix(Field::Country, &c.to_ascii_uppercase()))
            .collect()
    } else {
        vec![prefix(
            Field::Region,
            &filter.region.as_ref()?.to_lowercase(),
        )]
    };
    // A value named twice (`tier=A,A`) is one range: each domain once.
    prefixes.sort();
    prefixes.dedup();
    Some(prefixes)
}

fn run_id(value: &[u8]) -> Result<RunId, StoreError> {
    Ok(u64::from_be_bytes(
        value
            .try_into()
            .map_err(|_| StoreError::Corrupt("latest".into()))?,
    ))
}

/// Up to `limit` records `filter` accepts, with domains after `after`, in
/// domain order.
pub(super) fn page(
    store: &SledStore,
    filter: &Filter,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Record>, StoreError> {
    let (source, walks) = match (index_prefixes(filter), filter.run) {
        (Some(prefixes), run) => (
            Source::Index(run),
            prefixes
                .into_iter()
                .map(|p| Walk::new(&store.idx, p, after))
                .collect(),
        ),
        (None, RunSelect::Latest) => (
            Source::Latest,
            vec![Walk::new(&store.latest, Vec::new(), after)],
        ),
        (None, RunSelect::Id(id)) => (
            Source::Run,
            vec![Walk::new(&store.obs, id.to_be_bytes().to_vec(), after)],
        ),
    };
    let mut walks: Vec<Walk> = walks;
    // The next key of each walk, smallest first. A domain may be listed
    // under two values of a field (an index entry a same-run rewrite left
    // behind), so a domain equal to the last one taken is skipped: merged,
    // the walks give each domain once, in order.
    let mut heads = BinaryHeap::new();
    for (i, walk) in walks.iter_mut().enumerate() {
        if let Some(item) = walk.next() {
            let (key, value) = item?;
            heads.push(Reverse((key, i, value)));
        }
    }
    let mut out = Vec::new();
    let mut last: Option<Vec<u8>> = None;
    while out.len() < limit {
        let Some(Reverse((key, i, value))) = heads.pop() else {
            break;
        };
        if let Some(item) = walks.get_mut(i).and_then(Iterator::next) {
            let (key, value) = item?;
            heads.push(Reverse((key, i, value)));
        }
        if last.as_ref() == Some(&key) {
            continue;
        }
        let domain = String::from_utf8_lossy(&key).into_owned();
        last = Some(key);
        let record = match source {
            Source::Index(run) => store.supplier(&domain, run)?,
            Source::Latest => store.record_at(run_id(&value)?, &domain)?,
            Source::Run => Some(decode(&value)?),
        };
        if let Some(record) = record.filter(|r| filter.accepts(r)) {
            out.push(record);
        }
    }
    Ok(out)
}
