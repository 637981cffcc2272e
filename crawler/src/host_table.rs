//! The polite fetcher's table of host records, indexed by site so that a
//! finished site's hosts go without a look at the others, and swept of
//! idle records only when it has doubled since the last sweep, so that a
//! crawl of thousands of sites at once does not scan the table on every
//! request.

use std::collections::HashMap;
use std::sync::Arc;

/// A host record: it knows its site.
pub(crate) trait HostRecord {
    /// The registrable domain of the host, if it has one.
    fn site(&self) -> Option<&str>;
}

/// Host records `S` by key ([`eco::trust::origin`]), with the keys of
/// each site (registrable domain).
pub(crate) struct HostTable<S> {
    by_key: HashMap<String, Arc<S>>,
    by_site: HashMap<String, Vec<String>>,
    /// Least size at which the table is swept.
    soft_limit: usize,
    /// The size that triggers the next sweep: twice what the last one
    /// kept, and at least `soft_limit`.
    sweep_at: usize,
}

impl<S: HostRecord> HostTable<S> {
    /// An empty table swept once it holds more than `soft_limit` records.
    pub(crate) fn new(soft_limit: usize) -> HostTable<S> {
        HostTable {
            by_key: HashMap::new(),
            by_site: HashMap::new(),
            soft_limit,
            sweep_at: soft_limit,
        }
    }

    /// The record of `key`, made by `make` (and filed under its site) when
    /// there is none. When the table has grown past its next sweep size,
    /// records that `keep` refuses go first.
    pub(crate) fn get_or_insert(
        &mut self,
        key: String,
        make: impl FnOnce(&str) -> S,
        keep: impl FnMut(&S) -> bool,
    ) -> Arc<S> {
        if let Some(state) = self.by_key.get(&key) {
            return state.clone();
        }
        if self.by_key.len() >= self.sweep_at {
            self.sweep(keep);
        }
        let state = Arc::new(make(&key));
        if let Some(site) = state.site() {
            self.by_site
                .entry(site.to_owned())
                .or_default()
                .push(key.clone());
        }
        self.by_key.insert(key, state.clone());
        state
    }

    /// Drops the records of `site` that nobody else holds, calling
    /// `dropping` with each one's key and record first; those still held
    /// stay (a later sweep takes them).
    pub(crate) fn release_site(&mut self, site: &str, mut dropping: impl FnMut(&str, &S)) {
        let Some(keys) = self.by_site.remove(site) else {
            return;
        };
        let mut held = Vec::new();
        for key in keys {
            match self.by_key.get(&key) {
                Some(state) if Arc::strong_count(state) > 1 => held.push(key),
                Some(state) => {
                    dropping(&key, state);
                    self.by_key.remove(&key);
                }
                None => {}
            }
        }
        if !held.is_empty() {
            self.by_site.insert(site.to_owned(), held);
        }
    }

    /// Keeps the records held elsewhere and those `keep` accepts; the next
    /// sweep comes when the table has doubled.
    fn sweep(&mut self, mut keep: impl FnMut(&S) -> bool) {
        self.by_key
            .retain(|_, state| Arc::strong_count(state) > 1 || keep(state));
        let by_key = &self.by_key;
        self.by_site.retain(|_, keys| {
            keys.retain(|key| by_key.contains_key(key));
            !keys.is_empty()
        });
        self.sweep_at = (self.by_key.len() * 2).max(self.soft_limit);
    }

    /// Whether `key` has a record.
    #[cfg(test)]
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.by_key.contains_key(key)
    }

    /// Records in the table.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_key.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// A record: a number and a site.
    struct Rec(u32, Option<&'static str>);

    impl HostRecord for Rec {
        fn site(&self) -> Option<&str> {
            self.1
        }
    }

    #[test]
    fn a_site_release_drops_only_that_sites_unheld_records() {
        let mut table = HostTable::new(100);
        let keep = |_: &Rec| true;
        let a = table.get_or_insert("http://www.a.test".into(), |_| Rec(1, Some("a.test")), keep);
        drop(a);
        let held =
            table.get_or_insert("http://cdn.a.test".into(), |_| Rec(2, Some("a.test")), keep);
        table.get_or_insert("http://www.b.test".into(), |_| Rec(3, Some("b.test")), keep);
        let mut dropped = Vec::new();
        table.release_site("a.test", |key, _| dropped.push(key.to_owned()));
        assert_eq!(dropped, ["http://www.a.test"]);
        assert!(table.contains("http://cdn.a.test"));
        assert!(table.contains("http://www.b.test"));
        drop(held);
        table.release_site("a.test", |_, _| {});
        assert!(!table.contains("http://cdn.a.test"));
    }

    #[test]
    fn sweeps_come_when_the_table_has_doubled() {
        let mut table = HostTable::new(4);
        let sweeps = Cell::new(0);
        // Every record is kept: the table grows, and is swept only at 4, 8,
        // 16, 32 and 64 records, not on every insertion past the limit.
        for n in 0..100u32 {
            table.get_or_insert(
                format!("http://h{n}.test"),
                |_| Rec(n, None),
                |_| {
                    sweeps.set(sweeps.get() + 1);
                    true
                },
            );
        }
        assert_eq!(table.len(), 100);
        // `keep` is asked once per record per sweep: 4 + 8 + 16 + 32 + 64.
        assert_eq!(sweeps.get(), 124);
    }

    #[test]
    fn a_sweep_drops_what_keep_refuses_and_its_site_index() {
        let mut table = HostTable::new(2);
        let recent = |r: &Rec| r.0 > 0;
        table.get_or_insert(
            "http://old.a.test".into(),
            |_| Rec(0, Some("a.test")),
            recent,
        );
        table.get_or_insert(
            "http://old.b.test".into(),
            |_| Rec(0, Some("b.test")),
            recent,
        );
        table.get_or_insert(
            "http://new.c.test".into(),
            |_| Rec(1, Some("c.test")),
            recent,
        );
        assert!(!table.contains("http://old.a.test"));
        assert!(table.contains("http://new.c.test"));
        assert!(!table.by_site.contains_key("a.test"));
    }
}
