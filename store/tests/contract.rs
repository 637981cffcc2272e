//! The store's contract, one suite run against both backends: every test
//! body takes a fresh store, and `contract!` instantiates it on sled
//! (always) and on PostgreSQL (`pg_contract::*`, ignored under plain
//! `cargo test`: `scripts/test` starts a server and runs them, with its
//! URL in `ECOSCOUT_TEST_PG`). Each PostgreSQL test gets its own database,
//! created for it and dropped after, so the tests run in parallel.

#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::Utc;
use crawler::observation::Observation;
use scoring::{Readiness, Tier};
use store::{Filter, Record, Run, RunId, RunSelect, RunStatus, Store, StoreError};

/// The variable naming the PostgreSQL server of the ignored tests.
const PG_ENV: &str = "ECOSCOUT_TEST_PG";

/// The server's URL; a missing variable fails the test (never skips it).
fn pg_server() -> String {
    std::env::var(PG_ENV).unwrap_or_else(|_| {
        panic!("{PG_ENV} is not set: these tests need PostgreSQL; run scripts/test")
    })
}

/// Runs SQL on the server (not through the store).
fn admin(url: &str, sql: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
        let task = tokio::spawn(connection);
        client.batch_execute(sql).await.unwrap();
        drop(client);
        let _ = task.await;
    });
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}

/// A fresh database of its own on the test server, dropped with it.
struct PgDatabase {
    server: String,
    name: String,
}

impl PgDatabase {
    fn new() -> PgDatabase {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let server = pg_server();
        let name = format!(
            "ecoscout_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            Utc::now().timestamp_micros()
        );
        admin(&server, &format!("CREATE DATABASE {name}"));
        PgDatabase { server, name }
    }

    fn url(&self) -> String {
        with_database(&self.server, &self.name)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        admin(
            &self.server,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// A fresh store and what it takes to open it again.
struct Fixture {
    location: String,
    store: Option<Box<dyn Store + Send + Sync>>,
    // Dropped after the store (fields drop in order).
    _dir: Option<tempfile::TempDir>,
    _pg: Option<PgDatabase>,
}

impl Fixture {
    fn sled() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let location = dir.path().join("db").to_str().unwrap().to_owned();
        Fixture {
            store: Some(store::open(&location).unwrap()),
            location,
            _dir: Some(dir),
            _pg: None,
        }
    }

    fn pg() -> Fixture {
        let pg = PgDatabase::new();
        let location = pg.url();
        Fixture {
            store: Some(store::open(&location).unwrap()),
            location,
            _dir: None,
            _pg: Some(pg),
        }
    }

    fn store(&self) -> &dyn Store {
        self.store.as_deref().unwrap()
    }

    /// Closes the store and opens the database again.
    fn reopen(&mut self) {
        drop(self.store.take());
        // sled's background flusher may hold the lock a moment after drop.
        for _ in 0..250 {
            match store::open(&self.location) {
                Err(StoreError::Database(e)) if e.contains("lock") => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => {
                    self.store = Some(other.unwrap());
                    return;
                }
            }
        }
        panic!("{} stayed locked", self.location);
    }
}

macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sled_contract {
            $(
                #[test]
                fn $name() {
                    super::$name(&mut super::Fixture::sled());
                }
            )*
        }
        mod pg_contract {
            $(
                #[test]
                #[ignore = "needs PostgreSQL: run scripts/test"]
                fn $name() {
                    super::$name(&mut super::Fixture::pg());
                }
            )*
        }
    };
}

contract!(
    runs_begin_finish_reopen_and_stale_runs_become_interrupted,
    records_latest_and_history_across_runs,
    rewriting_a_record_replaces_it_and_its_index_entries,
    screened_domains_are_per_run,
    for_each_selects_exactly_what_the_filter_accepts_in_domain_order,
    for_each_pages_through_many_suppliers_and_its_callback_may_write,
    pages_are_for_each_in_slices_at_any_size_and_cursor,
    data_survives_reopening,
    size_on_disk_is_reported,
    works_and_drops_inside_an_async_runtime,
);

fn new_run(suppliers: u64) -> Run {
    Run {
        id: 0,
        started_at: Utc::now(),
        ended_at: None,
        status: RunStatus::Running,
        seeds_digest: format!("digest-{suppliers}"),
        seeds_path: "seeds.csv".into(),
        settings: vec!["concurrency=4".into(), "trust=trust.toml".into()],
        suppliers,
        screened: 0,
        with_errors: 0,
    }
}

/// A supplier's record as the crawl would write it.
struct Rec<'a> {
    domain: &'a str,
    country: &'a str,
    region: &'a str,
    tier: Tier,
    score: u32,
    error: bool,
}

impl Rec<'_> {
    fn at(&self, run: RunId) -> Record {
        let seed = crawler::seeds::Seed {
            line: 2,
            website: url::Url::parse(&format!("https://{}/", self.domain)).unwrap(),
            name: format!("{} Co., Ltd. — «Ṫest»", self.domain),
            country: self.country.into(),
            region: self.region.into(),
            tags: BTreeMap::from([("segment".to_owned(), "rice".to_owned())]),
        };
        let mut observation = Observation::of_seed(&seed);
        observation.pages_fetched = self.score;
        if self.error {
            observation.errors.push("connection refused".into());
        }
        Record {
            run_id: run,
            observation,
            readiness: Readiness {
                score: self.score,
                components: BTreeMap::from([("live".to_owned(), self.score / 2)]),
                tier: self.tier,
                red_flags: if self.tier == Tier::R {
                    vec!["a forged certificate".into()]
                } else {
                    Vec::new()
                },
                warnings: Vec::new(),
                explanations: vec![format!("seen on https://{}/", self.domain)],
            },
        }
    }
}

fn rec(domain: &str, tier: Tier, score: u32) -> Rec<'_> {
    Rec {
        domain,
        country: "VN",
        region: "Mekong Delta",
        tier,
        score,
        error: false,
    }
}

fn collect(store: &dyn Store, filter: &Filter) -> Vec<Record> {
    let mut out = Vec::new();
    store
        .for_each(filter, &mut |r| {
            out.push(r);
            Ok(())
        })
        .unwrap();
    out
}

fn domains(records: &[Record]) -> Vec<&str> {
    records
        .iter()
        .map(|r| r.observation.domain.as_str())
        .collect()
}

fn runs_begin_finish_reopen_and_stale_runs_become_interrupted(f: &mut Fixture) {
    let store = f.store();
    assert!(store.runs().unwrap().is_empty());
    let first = store.begin_run(new_run(2)).unwrap();
    assert_eq!(first.id, 1);
    assert_eq!(store.run(1).unwrap().as_ref(), Some(&first));
    let second = store.begin_run(new_run(3)).unwrap();
    assert_eq!(second.id, 2);

    let runs = store.runs().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].id, 1);
    assert_eq!(
        runs[0].status,
        RunStatus::Interrupted,
        "a run left running was killed"
    );
    assert!(runs[0].ended_at.is_some());
    assert_eq!(runs[1], second);

    store.record(&rec("a.example", Tier::A, 90).at(2)).unwrap();
    store
        .record(
            &Rec {
                error: true,
                ..rec("b.example", Tier::D, 5)
            }
            .at(2),
        )
        .unwrap();
    store.flush().unwrap();
    store.finish_run(2, RunStatus::Complete).unwrap();
    let done = store.run(2).unwrap().unwrap();
    assert_eq!(done.status, RunStatus::Complete);
    assert!(done.ended_at.is_some());
    assert_eq!((done.screened, done.with_errors), (2, 1));
    assert_eq!(
        (done.started_at, &done.settings),
        (second.started_at, &second.settings)
    );

    let reopened = store.reopen_run(1).unwrap();
    assert_eq!(reopened.status, RunStatus::Running);
    assert_eq!(reopened.ended_at, None);
    assert_eq!(store.run(1).unwrap(), Some(reopened));
    // Finishing a run that never had a record counts zero.
    store.finish_run(1, RunStatus::Interrupted).unwrap();
    let one = store.run(1).unwrap().unwrap();
    assert_eq!(
        (one.status, one.screened, one.with_errors),
        (RunStatus::Interrupted, 0, 0)
    );

    // A third run leaves complete and interrupted runs as they are.
    let third = store.begin_run(new_run(1)).unwrap();
    assert_eq!(third.id, 3);
    let statuses: Vec<RunStatus> = store.runs().unwrap().iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            RunStatus::Interrupted,
            RunStatus::Complete,
            RunStatus::Running
        ]
    );

    assert!(matches!(
        store.reopen_run(99),
        Err(StoreError::NoSuchRun(99))
    ));
    assert!(matches!(
        store.finish_run(99, RunStatus::Complete),
        Err(StoreError::NoSuchRun(99))
    ));
    assert_eq!(store.run(99).unwrap(), None);
}

fn records_latest_and_history_across_runs(f: &mut Fixture) {
    let store = f.store();
    let one = store.begin_run(new_run(2)).unwrap().id;
    let a1 = rec("a.example", Tier::C, 40).at(one);
    let b1 = rec("b.example", Tier::B, 70).at(one);
    store.record(&a1).unwrap();
    store.record(&b1).unwrap();
    store.finish_run(one, RunStatus::Complete).unwrap();
    let two = store.begin_run(new_run(1)).unwrap().id;
    let a2 = rec("a.example", Tier::A, 95).at(two);
    store.record(&a2).unwrap();

    // Records come back exactly as written.
    assert_eq!(
        store.supplier("a.example", RunSelect::Latest).unwrap(),
        Some(a2.clone())
    );
    assert_eq!(
        store.supplier("a.example", RunSelect::Id(one)).unwrap(),
        Some(a1.clone())
    );
    assert_eq!(
        store.supplier("b.example", RunSelect::Latest).unwrap(),
        Some(b1.clone())
    );
    assert_eq!(
        store.supplier("b.example", RunSelect::Id(two)).unwrap(),
        None
    );
    assert_eq!(
        store.supplier("c.example", RunSelect::Latest).unwrap(),
        None
    );
    assert_eq!(
        store.supplier("a.example", RunSelect::Id(42)).unwrap(),
        None
    );
    assert_eq!(
        store.history("a.example").unwrap(),
        vec![a1.clone(), a2.clone()]
    );
    assert_eq!(store.history("b.example").unwrap(), vec![b1.clone()]);
    assert!(store.history("c.example").unwrap().is_empty());

    // The older run written again after the newer: `latest` stays on the
    // newer, and the older run's record is replaced.
    let a1_again = rec("a.example", Tier::D, 10).at(one);
    store.record(&a1_again).unwrap();
    assert_eq!(
        store.supplier("a.example", RunSelect::Latest).unwrap(),
        Some(a2.clone())
    );
    assert_eq!(
        store.history("a.example").unwrap(),
        vec![a1_again, a2.clone()]
    );
    let latest = collect(store, &Filter::default());
    assert_eq!(latest, vec![a2.clone(), b1.clone()]);
    let d = Filter {
        tiers: vec![Tier::D],
        ..Filter::default()
    };
    assert!(
        collect(store, &d).is_empty(),
        "the older run's tier is not the latest's"
    );
    let d_one = Filter {
        run: RunSelect::Id(one),
        ..d
    };
    assert_eq!(domains(&collect(store, &d_one)), ["a.example"]);
}

fn rewriting_a_record_replaces_it_and_its_index_entries(f: &mut Fixture) {
    let store = f.store();
    let run = store.begin_run(new_run(1)).unwrap().id;
    store
        .record(
            &Rec {
                error: true,
                ..rec("a.example", Tier::D, 10)
            }
            .at(run),
        )
        .unwrap();
    let again = Rec {
        country: "th",
        region: "Isan",
        ..rec("a.example", Tier::B, 75)
    }
    .at(run);
    store.record(&again).unwrap();
    assert_eq!(
        store.supplier("a.example", RunSelect::Id(run)).unwrap(),
        Some(again.clone())
    );
    for select in [RunSelect::Latest, RunSelect::Id(run)] {
        let by = |tiers: Vec<Tier>, countries: Vec<&str>, region: Option<&str>| Filter {
            run: select,
            tiers,
            countries: countries.into_iter().map(str::to_owned).collect(),
            region: region.map(str::to_owned),
            min_score: None,
        };
        assert!(collect(store, &by(vec![Tier::D], vec![], None)).is_empty());
        assert!(collect(store, &by(vec![], vec!["VN"], None)).is_empty());
        assert!(collect(store, &by(vec![], vec![], Some("mekong delta"))).is_empty());
        assert_eq!(
            collect(store, &by(vec![Tier::B], vec!["TH"], Some("isan"))),
            vec![again.clone()]
        );
    }
    store.finish_run(run, RunStatus::Complete).unwrap();
    let done = store.run(run).unwrap().unwrap();
    assert_eq!(
        (done.screened, done.with_errors),
        (1, 0),
        "written twice, counted once"
    );
}

fn screened_domains_are_per_run(f: &mut Fixture) {
    let store = f.store();
    let one = store.begin_run(new_run(2)).unwrap().id;
    store
        .record(&rec("a.example", Tier::A, 90).at(one))
        .unwrap();
    store
        .record(&rec("b.example", Tier::A, 90).at(one))
        .unwrap();
    let two = store.begin_run(new_run(2)).unwrap().id;
    store
        .record(&rec("c.example", Tier::A, 90).at(two))
        .unwrap();
    let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<HashSet<_>>();
    assert_eq!(
        store.screened_domains(one).unwrap(),
        set(&["a.example", "b.example"])
    );
    assert_eq!(store.screened_domains(two).unwrap(), set(&["c.example"]));
    assert!(store.screened_domains(9).unwrap().is_empty());
}

fn for_each_selects_exactly_what_the_filter_accepts_in_domain_order(f: &mut Fixture) {
    let store = f.store();
    let one = store.begin_run(new_run(8)).unwrap().id;
    let first = [
        rec("zeta.example", Tier::A, 92),
        Rec {
            country: "th",
            region: "Isan",
            ..rec("alpha.example", Tier::B, 71)
        },
        Rec {
            region: "mekong delta",
            ..rec("a-b.example", Tier::C, 45)
        },
        Rec {
            region: "Đà Nẵng",
            ..rec("ab.example", Tier::D, 12)
        },
        Rec {
            country: "KH",
            region: "",
            ..rec("b.example", Tier::R, 20)
        },
        Rec {
            country: "vn",
            region: "MEKONG DELTA",
            error: true,
            ..rec("c.example", Tier::A, 88)
        },
        Rec {
            country: "",
            region: "",
            ..rec("d.example", Tier::D, 0)
        },
    ];
    let first: Vec<Record> = first.iter().map(|r| r.at(one)).collect();
    for r in &first {
        store.record(r).unwrap();
    }
    store.finish_run(one, RunStatus::Complete).unwrap();
    let two = store.begin_run(new_run(3)).unwrap().id;
    let second = [
        Rec {
            country: "TH",
            ..rec("zeta.example", Tier::R, 30)
        },
        rec("alpha.example", Tier::A, 99),
        Rec {
            country: "ID",
            region: "Java",
            ..rec("new.example", Tier::C, 50)
        },
    ];
    let second: Vec<Record> = second.iter().map(|r| r.at(two)).collect();
    for r in &second {
        store.record(r).unwrap();
    }

    // What each selection holds, computed here.
    let all: Vec<Record> = first.iter().chain(&second).cloned().collect();
    let selection = |select: RunSelect| -> Vec<Record> {
        let mut out: BTreeMap<String, Record> = BTreeMap::new();
        for r in &all {
            let keep = match select {
                RunSelect::Id(id) => r.run_id == id,
                RunSelect::Latest => out
                    .get(&r.observation.domain)
                    .is_none_or(|o| o.run_id <= r.run_id),
            };
            if keep {
                out.insert(r.observation.domain.clone(), r.clone());
            }
        }
        out.into_values().collect()
    };
    let tiers = |t: &[Tier]| t.to_vec();
    let countries = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut filters = Vec::new();
    for run in [RunSelect::Latest, RunSelect::Id(one), RunSelect::Id(two)] {
        let base = Filter {
            run,
            ..Filter::default()
        };
        filters.extend([
            base.clone(),
            Filter {
                tiers: tiers(&[Tier::A]),
                ..base.clone()
            },
            Filter {
                tiers: tiers(&[Tier::A, Tier::R]),
                ..base.clone()
            },
            Filter {
                countries: countries(&["vn"]),
                ..base.clone()
            },
            Filter {
                countries: countries(&["VN", "th"]),
                ..base.clone()
            },
            Filter {
                countries: countries(&["XX"]),
                ..base.clone()
            },
            Filter {
                region: Some("Mekong delta".into()),
                ..base.clone()
            },
            Filter {
                region: Some("đà nẵng".into()),
                ..base.clone()
            },
            Filter {
                region: Some("Đà Nẵng".into()),
                ..base.clone()
            },
            Filter {
                min_score: Some(50),
                ..base.clone()
            },
            Filter {
                min_score: Some(0),
                ..base.clone()
            },
            Filter {
                tiers: tiers(&[Tier::A, Tier::C, Tier::D]),
                countries: countries(&["vn", "ID"]),
                region: Some("mekong delta".into()),
                min_score: Some(40),
                ..base.clone()
            },
        ]);
    }
    for filter in &filters {
        let want: Vec<Record> = selection(filter.run)
            .into_iter()
            .filter(|r| filter.accepts(r))
            .collect();
        let got = collect(store, filter);
        assert_eq!(domains(&got), domains(&want), "{filter:?}");
        assert_eq!(got, want, "{filter:?}");
    }
    // Some of those selected something (the test tests something).
    let latest_a = Filter {
        tiers: tiers(&[Tier::A]),
        ..Filter::default()
    };
    assert_eq!(
        domains(&collect(store, &latest_a)),
        ["alpha.example", "c.example"]
    );
}

fn for_each_pages_through_many_suppliers_and_its_callback_may_write(f: &mut Fixture) {
    const SUPPLIERS: usize = 1234;
    let store = f.store();
    let run = store.begin_run(new_run(SUPPLIERS as u64)).unwrap().id;
    let names: Vec<String> = (0..SUPPLIERS)
        .map(|i| format!("s{:04}.example", (i * 7919) % SUPPLIERS))
        .collect();
    for (i, name) in names.iter().enumerate() {
        let tier = if i % 2 == 0 { Tier::A } else { Tier::C };
        store.record(&rec(name, tier, 50).at(run)).unwrap();
    }
    // Re-scoring every record while reading them, as `ecoscout score` does.
    for filter in [
        Filter {
            run: RunSelect::Id(run),
            ..Filter::default()
        },
        Filter::default(),
    ] {
        let mut seen = Vec::new();
        store
            .for_each(&filter, &mut |mut r| {
                seen.push(r.observation.domain.clone());
                r.readiness.score += 1;
                store.record(&r)
            })
            .unwrap();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(seen, sorted, "each supplier once, in domain order");
    }
    let a = Filter {
        tiers: vec![Tier::A],
        ..Filter::default()
    };
    let records = collect(store, &a);
    assert_eq!(records.len(), SUPPLIERS / 2);
    assert!(records.iter().all(|r| r.readiness.score == 52));

    // An error from the callback stops the walk and is returned.
    let mut calls = 0;
    let result = store.for_each(&Filter::default(), &mut |_| {
        calls += 1;
        if calls == 3 {
            Err(StoreError::Database("stop".into()))
        } else {
            Ok(())
        }
    });
    assert!(matches!(result, Err(StoreError::Database(m)) if m == "stop"));
    assert_eq!(calls, 3);
}

/// Walks `filter` page by page, `limit` at a time, from the start: each
/// page but the last is full, and the next cursor is the last domain.
fn walk_pages(store: &dyn Store, filter: &Filter, limit: usize) -> Vec<Record> {
    let mut out: Vec<Record> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store.page(filter, cursor.as_deref(), limit).unwrap();
        assert!(page.len() <= limit, "{filter:?} limit {limit}");
        let full = page.len() == limit;
        out.extend(page);
        if !full {
            return out;
        }
        cursor = out.last().map(|r| r.observation.domain.clone());
        assert!(out.len() <= 1000, "{filter:?}: the walk does not end");
    }
}

fn pages_are_for_each_in_slices_at_any_size_and_cursor(f: &mut Fixture) {
    const SUPPLIERS: usize = 60;
    let store = f.store();
    let tiers = [Tier::A, Tier::B, Tier::C, Tier::D, Tier::R];
    let countries = ["VN", "th", "KH", "vn", ""];
    let regions = [
        "Mekong Delta",
        "Đà Nẵng",
        "isan",
        "",
        "MEKONG DELTA",
        "Java",
    ];
    // Names whose byte order matters: `-` sorts before letters and digits,
    // and `s00.exampl` is a prefix of `s00.example`.
    let name = |i: usize| match i % 4 {
        0 => format!("s{i:02}.example"),
        1 => format!("s{i:02}-x.example"),
        2 => format!("s{:02}.exampl", i - 2),
        _ => format!("{}{i}.example", char::from(b'a' + (i % 26) as u8)),
    };
    let one = store.begin_run(new_run(SUPPLIERS as u64)).unwrap().id;
    for i in 0..SUPPLIERS {
        let domain = name(i);
        let r = Rec {
            domain: &domain,
            country: countries[i % countries.len()],
            region: regions[i % regions.len()],
            tier: tiers[i % tiers.len()],
            score: (i * 37 % 101) as u32,
            error: false,
        };
        store.record(&r.at(one)).unwrap();
    }
    // Re-scored in the same run (as `ecoscout score` does): another tier
    // and country, so the indexes must forget the old ones.
    for i in (0..SUPPLIERS).step_by(5) {
        let domain = name(i);
        let r = Rec {
            domain: &domain,
            country: countries[(i + 2) % countries.len()],
            region: regions[(i + 1) % regions.len()],
            tier: tiers[(i + 2) % tiers.len()],
            score: (i * 41 % 101) as u32,
            error: false,
        };
        store.record(&r.at(one)).unwrap();
    }
    store.finish_run(one, RunStatus::Complete).unwrap();
    // A second run re-screens every third supplier with another tier,
    // country and score: the latest records mix both runs.
    let two = store.begin_run(new_run(SUPPLIERS as u64)).unwrap().id;
    for i in (0..SUPPLIERS).step_by(3) {
        let domain = name(i);
        let r = Rec {
            domain: &domain,
            country: countries[(i + 1) % countries.len()],
            region: regions[(i + 2) % regions.len()],
            tier: tiers[(i + 3) % tiers.len()],
            score: (i * 53 % 101) as u32,
            error: false,
        };
        store.record(&r.at(two)).unwrap();
    }

    let latest = collect(store, &Filter::default());
    assert_eq!(
        latest.len(),
        SUPPLIERS,
        "every name is a supplier of its own"
    );
    assert!(domains(&latest).contains(&"s00.exampl"));
    let list = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut filters = Vec::new();
    for run in [RunSelect::Latest, RunSelect::Id(one), RunSelect::Id(two)] {
        let base = Filter {
            run,
            ..Filter::default()
        };
        filters.extend([
            base.clone(),
            Filter {
                tiers: vec![Tier::A],
                ..base.clone()
            },
            Filter {
                tiers: vec![Tier::R, Tier::A, Tier::C, Tier::A],
                ..base.clone()
            },
            Filter {
                countries: list(&["vn"]),
                ..base.clone()
            },
            Filter {
                countries: list(&["TH", "vn", "KH"]),
                ..base.clone()
            },
            Filter {
                region: Some("mekong delta".into()),
                ..base.clone()
            },
            Filter {
                region: Some("đà nẵng".into()),
                ..base.clone()
            },
            Filter {
                min_score: Some(70),
                ..base.clone()
            },
            Filter {
                tiers: vec![Tier::A, Tier::B, Tier::D],
                countries: list(&["VN", "TH"]),
                min_score: Some(20),
                ..base.clone()
            },
            Filter {
                countries: list(&["vn", "XX"]),
                region: Some("Mekong Delta".into()),
                ..base.clone()
            },
            Filter {
                tiers: vec![Tier::B],
                min_score: Some(101),
                ..base.clone()
            },
        ]);
    }
    let mut nonempty = 0;
    for filter in &filters {
        let want = collect(store, filter);
        nonempty += usize::from(want.len() > 1);
        for limit in [1, 2, 7, 1000] {
            let got = walk_pages(store, filter, limit);
            assert_eq!(domains(&got), domains(&want), "{filter:?} limit {limit}");
            assert_eq!(got, want, "{filter:?} limit {limit}");
        }
        // At each boundary: from just before a domain, from the domain
        // itself (excluded), and from a text between two domains.
        for (i, r) in want.iter().enumerate() {
            let domain = r.observation.domain.as_str();
            let from_here = store.page(filter, Some(domain), 1000).unwrap();
            assert_eq!(domains(&from_here), domains(&want[i + 1..]), "{filter:?}");
            let before = &domain[..domain.len() - 1];
            let from_before = store.page(filter, Some(before), 2).unwrap();
            let expect: Vec<&str> = domains(&want)
                .into_iter()
                .filter(|d| *d > before)
                .take(2)
                .collect();
            assert_eq!(domains(&from_before), expect, "{filter:?} after {before:?}");
            let between = format!("{domain}\u{1}");
            let next = store.page(filter, Some(&between), 1).unwrap();
            assert_eq!(
                domains(&next),
                domains(&want[i + 1..(i + 2).min(want.len())]),
                "{filter:?} after {between:?}"
            );
        }
        assert_eq!(
            store.page(filter, Some(""), 1000).unwrap(),
            want,
            "an empty cursor is before every domain"
        );
        assert!(store.page(filter, Some("~"), 1000).unwrap().is_empty());
        assert!(store.page(filter, None, 0).unwrap().is_empty());
    }
    assert!(
        nonempty >= filters.len() / 2,
        "the filters select something"
    );

    // Pages see writes between them, as a keyset walk should: a supplier
    // added before the cursor is not seen, one after it is.
    let first = store.page(&Filter::default(), None, 5).unwrap();
    let cursor = first[4].observation.domain.clone();
    store
        .record(&rec("0early.example", Tier::A, 90).at(two))
        .unwrap();
    store
        .record(&rec("zz-late.example", Tier::A, 90).at(two))
        .unwrap();
    let rest = walk_pages_from(store, &Filter::default(), &cursor, 7);
    assert!(!domains(&rest).contains(&"0early.example"));
    assert_eq!(domains(&rest).last(), Some(&"zz-late.example"));
}

/// [`walk_pages`] from a cursor.
fn walk_pages_from(store: &dyn Store, filter: &Filter, after: &str, limit: usize) -> Vec<Record> {
    let mut out: Vec<Record> = Vec::new();
    let mut cursor = after.to_owned();
    loop {
        let page = store.page(filter, Some(&cursor), limit).unwrap();
        let full = page.len() == limit;
        out.extend(page);
        match out.last() {
            Some(r) if full => cursor = r.observation.domain.clone(),
            _ => return out,
        }
    }
}

fn data_survives_reopening(f: &mut Fixture) {
    let run = f.store().begin_run(new_run(1)).unwrap();
    let a = rec("a.example", Tier::B, 66).at(run.id);
    f.store().record(&a).unwrap();
    f.reopen();
    let store = f.store();
    assert_eq!(store.runs().unwrap(), vec![run.clone()]);
    assert_eq!(
        store.supplier("a.example", RunSelect::Latest).unwrap(),
        Some(a)
    );
    // Opening again started no new run and the next run counts on.
    assert_eq!(store.begin_run(new_run(1)).unwrap().id, run.id + 1);
}

fn size_on_disk_is_reported(f: &mut Fixture) {
    let store = f.store();
    let run = store.begin_run(new_run(1)).unwrap().id;
    store
        .record(&rec("a.example", Tier::B, 66).at(run))
        .unwrap();
    store.flush().unwrap();
    assert!(store.size_on_disk().unwrap() > 0);
}

/// The crawl loop and the API's handlers call the store from async code,
/// on a runtime of one thread as well as many, and may drop it there.
fn works_and_drops_inside_an_async_runtime(f: &mut Fixture) {
    let store = f.store.take().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let run = store.begin_run(new_run(1)).unwrap().id;
        let a = rec("a.example", Tier::A, 90).at(run);
        store.record(&a).unwrap();
        assert_eq!(collect(&*store, &Filter::default()), vec![a]);
        store.finish_run(run, RunStatus::Complete).unwrap();
        drop(store);
    });
}

/// A schema newer than this build's is refused, with the same advice as
/// sled's, and without the URL's password.
#[test]
#[ignore = "needs PostgreSQL: run scripts/test"]
fn pg_a_newer_schema_is_refused_with_advice() {
    let db = PgDatabase::new();
    let mut url = url::Url::parse(&db.url()).unwrap();
    // The test server trusts loopback, so the password is never sent.
    url.set_password(Some("sekrit")).unwrap();
    let url = url.to_string();
    drop(store::open(&url).unwrap());
    admin(
        &db.url(),
        "INSERT INTO ecoscout_migrations (version) VALUES (99)",
    );
    let err = store::open(&url).err().unwrap();
    let expected = store::pg_store::schema_version();
    assert!(
        matches!(err, StoreError::Schema { found: 99, expected: e, .. } if e == expected),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("schema version 99") && message.contains("new --db"),
        "{message}"
    );
    assert!(!message.contains("sekrit"), "{message}");
    assert!(message.contains(":***@"), "{message}");
}

/// Opening a database twice applies its migrations once, and they are
/// recorded.
#[test]
#[ignore = "needs PostgreSQL: run scripts/test"]
fn pg_migrations_are_applied_once_and_recorded() {
    let db = PgDatabase::new();
    drop(store::open(&db.url()).unwrap());
    drop(store::open(&db.url()).unwrap());
    // Two versions recorded twice would fail the primary key; check the
    // count through a constraint-free query.
    admin(
        &db.url(),
        &format!(
            "DO $$ BEGIN
                 IF (SELECT count(*) FROM ecoscout_migrations) <> {n}
                    OR (SELECT max(version) FROM ecoscout_migrations) <> {n} THEN
                     RAISE EXCEPTION 'migrations not recorded once each';
                 END IF;
             END $$;",
            n = store::pg_store::MIGRATIONS.len()
        ),
    );
}

/// A server that cannot be reached is an error that names the database
/// without its password (no server needed).
#[test]
fn an_unreachable_server_is_an_error_without_the_password() {
    let err = store::open("postgres://eco:sekrit@127.0.0.1:1/eco")
        .err()
        .unwrap();
    let message = err.to_string();
    assert!(matches!(err, StoreError::Database(_)), "{err:?}");
    assert!(!message.contains("sekrit"), "{message}");
    assert!(message.contains("127.0.0.1:1"), "{message}");
    assert!(message.contains("refused"), "the cause is shown: {message}");
}

/// A database that does not exist says so, in the server's words.
#[test]
#[ignore = "needs PostgreSQL: run scripts/test"]
fn pg_a_missing_database_is_named_in_the_error() {
    let url = with_database(&pg_server(), "ecoscout_no_such_database");
    let message = store::open(&url).err().unwrap().to_string();
    assert!(
        message.contains("ecoscout_no_such_database") && message.contains("does not exist"),
        "{message}"
    );
}

/// Any other scheme is refused before anything is opened.
#[test]
fn other_schemes_are_refused() {
    for bad in ["mysql://u:sekrit@h/db", "redis://h", "file:///tmp/db"] {
        let err = store::open(bad).err().unwrap();
        assert!(matches!(err, StoreError::BadLocation(_)), "{bad}: {err:?}");
        assert!(!err.to_string().contains("sekrit"));
    }
}

/// The queue of a distributed run (PostgreSQL only): claims in seed
/// order, SKIP LOCKED between workers, leases that pass, tokens that stop
/// a late worker from writing, release, and completion.
#[test]
#[ignore = "needs PostgreSQL: run scripts/test"]
fn pg_queue_claims_leases_and_tokens_give_one_record_per_supplier() {
    let pg = PgDatabase::new();
    let db = store::PgStore::open(&pg.url()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let lease = std::time::Duration::from_secs(1);
    runtime.block_on(async {
        let plan = store::RunPlan {
            trust_list: "[[authority]]\nid = \"x\"\n".into(),
            trust_digest: "ab".repeat(32),
            weights: None,
            limits: store::CrawlLimits {
                per_host_concurrency: 2,
                delay_ms: 0,
                timeout_ms: 4000,
                max_body: 1 << 20,
                max_pages: 10,
                max_depth: 2,
                max_documents: 1,
                site_budget_ms: 60_000,
                user_agent: "test".into(),
            },
        };
        let run = db.begin_distributed_run(new_run(5), &plan).await.unwrap();
        assert_eq!(db.plan(run.id).await.unwrap(), Some(plan));
        let names = ["e.vn", "a.vn", "d.vn", "b.vn", "c.vn"];
        let seeds: Vec<_> = names
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let line = i as u64 + 2;
                let mut seed = crawler::seeds::Seed {
                    line,
                    website: url::Url::parse(&format!("https://{d}/")).unwrap(),
                    name: d.to_string(),
                    country: "VN".into(),
                    region: String::new(),
                    tags: BTreeMap::new(),
                };
                seed.tags.insert("n".into(), i.to_string());
                (line, d.to_string(), seed)
            })
            .collect();
        assert_eq!(db.enqueue(run.id, seeds.clone()).await.unwrap(), 5);
        assert!(
            db.open_runs().await.unwrap().is_empty(),
            "not open before its queue is filled"
        );
        assert_eq!(db.enqueue(run.id, seeds).await.unwrap(), 0, "idempotent");
        db.queue_ready(run.id).await.unwrap();
        assert_eq!(db.open_runs().await.unwrap()[0].id, run.id);
        // A single-process run started beside it leaves it running: its
        // workers may be at work.
        let single = Store::begin_run(&db, new_run(1)).unwrap();
        assert!(single.id > run.id);
        let status = Store::run(&db, run.id).unwrap().unwrap().status;
        assert_eq!(status, RunStatus::Running);

        let a = db.claim(run.id, "a", 2, lease).await.unwrap();
        let taken: Vec<&str> = a.iter().map(|c| c.domain.as_str()).collect();
        assert_eq!(taken, ["e.vn", "a.vn"], "in the seeds' order");
        assert_eq!(a[0].seed.tags["n"], "0");
        let b = db.claim(run.id, "b", 10, lease).await.unwrap();
        assert_eq!(b.len(), 3, "the rest, none twice");
        assert!(db.claim(run.id, "c", 10, lease).await.unwrap().is_empty());
        assert!(!db.finish_if_done(run.id).await.unwrap());

        // a writes its first supplier; its second lease passes.
        let record = rec("e.vn", Tier::A, 90).at(run.id);
        assert!(db.complete(&a[0], "a", &record).await.unwrap());
        assert!(
            !db.complete(&a[0], "a", &record).await.unwrap(),
            "a claim completes once"
        );
        let kept = db
            .renew(
                run.id,
                "b",
                b.iter().map(|c| c.token.clone()).collect(),
                lease * 5,
            )
            .await
            .unwrap();
        assert_eq!(kept.len(), 3);
        tokio::time::sleep(lease + std::time::Duration::from_millis(300)).await;
        let c = db.claim(run.id, "c", 10, lease).await.unwrap();
        assert_eq!(c.len(), 1, "only the passed lease: {c:?}");
        assert_eq!((c[0].domain.as_str(), c[0].attempts), ("a.vn", 2));
        assert!(
            db.renew(run.id, "a", vec![a[1].token.clone()], lease)
                .await
                .unwrap()
                .is_empty(),
            "a learns its claim was taken over"
        );
        let late = rec("a.vn", Tier::D, 1).at(run.id);
        assert!(
            !db.complete(&a[1], "a", &late).await.unwrap(),
            "a late worker writes nothing"
        );
        assert!(
            db.complete(&c[0], "c", &rec("a.vn", Tier::B, 70).at(run.id))
                .await
                .unwrap()
        );

        // b stops: its claims go back at once, without using an attempt.
        db.release(run.id, b.iter().map(|c| c.token.clone()).collect())
            .await
            .unwrap();
        let counts = db.queue_counts(run.id).await.unwrap();
        assert_eq!((counts.pending, counts.claimed, counts.done), (3, 0, 2));
        let again = db.claim(run.id, "c", 10, lease).await.unwrap();
        assert!(again.iter().all(|c| c.attempts == 1), "{again:?}");
        for claim in &again {
            let record = rec(&claim.domain, Tier::C, 40).at(run.id);
            assert!(db.complete(claim, "c", &record).await.unwrap());
        }
        assert!(db.finish_if_done(run.id).await.unwrap());
        assert!(db.finish_if_done(run.id).await.unwrap(), "idempotent");
        assert!(db.open_runs().await.unwrap().is_empty());
        let workers = db.run_workers(run.id).await.unwrap();
        let screened: Vec<(&str, u64)> = workers
            .iter()
            .map(|w| (w.name.as_str(), w.screened))
            .collect();
        assert_eq!(screened, [("a", 1), ("b", 0), ("c", 4)]);
    });
    let store: &dyn Store = &db;
    let run = store.runs().unwrap().remove(0);
    assert_eq!((run.status, run.screened), (RunStatus::Complete, 5));
    let records = collect(
        store,
        &Filter {
            run: RunSelect::Id(run.id),
            ..Filter::default()
        },
    );
    assert_eq!(domains(&records), ["a.vn", "b.vn", "c.vn", "d.vn", "e.vn"]);
    assert_eq!(
        records[0].readiness.tier,
        Tier::B,
        "the late write was refused"
    );
    drop(runtime);
}
