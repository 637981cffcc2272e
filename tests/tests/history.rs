//! Two crawls of a world that changes between them: per-run history,
//! `latest`, and the adoption trend are right.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crawler::crawl::crawl;
use crawler::polite::{PoliteFetcher, Politeness};
use crawler::screen::{ScreenConfig, Screener};
use crawler::seeds::read_seeds;
use eco::TrustList;
use serde_json::Value;
use sim::{SimOptions, SimWorld};
use store::report::{Group, Runs, adoption};
use store::{Filter, Record, Run, RunSelect, RunStatus, SledStore, Store};

/// Crawls generation `generation` of the world into `db` as a new run;
/// returns the run id and the truth by domain.
async fn crawl_generation(db: &SledStore, generation: u32) -> (u64, BTreeMap<String, Value>) {
    let dir = tempfile::tempdir().unwrap();
    let world = SimWorld::start(SimOptions {
        suppliers: 80,
        seed: 17,
        generation,
        out_dir: Some(dir.path().into()),
        slow_answer: Duration::from_millis(2500),
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let truth = common::truth_by_domain(dir.path());
    let trust = Arc::new(TrustList::load(&dir.path().join("trust.toml")).unwrap());
    let seeds = read_seeds(&dir.path().join("seeds.csv")).unwrap().seeds;
    let http = common::loopback_fetcher(Duration::from_secs(4));
    let fetcher = PoliteFetcher::new(
        http,
        Politeness {
            delay: Duration::ZERO,
            ..Politeness::default()
        },
    );
    let screener = Arc::new(Screener::new(fetcher, trust, ScreenConfig::default()));
    let run = db
        .begin_run(Run {
            id: 0,
            started_at: chrono::Utc::now(),
            ended_at: None,
            status: RunStatus::Running,
            seeds_digest: format!("generation {generation}"),
            seeds_path: "seeds.csv".into(),
            settings: Vec::new(),
            suppliers: seeds.len() as u64,
            screened: 0,
            with_errors: 0,
        })
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let task = tokio::spawn(crawl(screener, seeds, 32, tx));
    let weights = scoring::Weights::default();
    while let Some(observation) = rx.recv().await {
        let readiness = scoring::score(&observation, &weights);
        db.record(&Record {
            run_id: run.id,
            observation,
            readiness,
        })
        .unwrap();
    }
    task.await.unwrap();
    db.finish_run(run.id, RunStatus::Complete).unwrap();
    drop(world);
    (run.id, truth)
}

fn has_page(r: &Record) -> bool {
    !r.observation.cert_pages.is_empty()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_keep_history_latest_and_trend() {
    let tmp = tempfile::tempdir().unwrap();
    let db = SledStore::open(&tmp.path().join("db")).unwrap();
    let (first, truth0) = crawl_generation(&db, 0).await;
    let (second, truth1) = crawl_generation(&db, 1).await;
    assert_eq!((first, second), (1, 2));
    let changed: Vec<&String> = truth0
        .keys()
        .filter(|d| truth0[*d]["profile"] != truth1[*d]["profile"])
        .collect();
    assert!(
        changed.len() >= 5,
        "the world barely changed: {}",
        changed.len()
    );

    for (domain, t0) in &truth0 {
        let t1 = &truth1[domain];
        let history = db.history(domain).unwrap();
        assert_eq!(
            history.iter().map(|r| r.run_id).collect::<Vec<_>>(),
            [1, 2],
            "{domain}"
        );
        // Each run's record reflects that run's world.
        for (record, truth) in history.iter().zip([t0, t1]) {
            assert_eq!(
                has_page(record),
                truth["cert_page"].is_string(),
                "{domain} run {}: {:?}",
                record.run_id,
                truth["profile"]
            );
        }
        let latest = db.supplier(domain, RunSelect::Latest).unwrap().unwrap();
        assert_eq!(latest.run_id, 2);
        assert_eq!(&latest, &history[1]);
    }

    // Latest indexes follow the newest record: the tier index for `latest`
    // returns exactly the suppliers whose run-2 tier matches.
    for tier in [scoring::Tier::A, scoring::Tier::D, scoring::Tier::R] {
        let mut via_index = Vec::new();
        db.for_each(
            &Filter {
                tiers: vec![tier],
                ..Filter::default()
            },
            &mut |r| {
                via_index.push(r.observation.domain);
                Ok(())
            },
        )
        .unwrap();
        let mut direct = Vec::new();
        db.for_each(
            &Filter {
                run: RunSelect::Id(2),
                ..Filter::default()
            },
            &mut |r| {
                if r.readiness.tier == tier {
                    direct.push(r.observation.domain);
                }
                Ok(())
            },
        )
        .unwrap();
        via_index.sort();
        direct.sort();
        assert_eq!(via_index, direct, "tier {tier:?}");
    }

    // The trend: per run, the counts match the records of that run.
    let rows = adoption(&db, Group::Country, Runs::All).unwrap();
    for run in [1u64, 2] {
        let mut pages = 0;
        let mut screened = 0;
        db.for_each(
            &Filter {
                run: RunSelect::Id(run),
                ..Filter::default()
            },
            &mut |r| {
                screened += 1;
                pages += u64::from(has_page(&r));
                Ok(())
            },
        )
        .unwrap();
        let of_run: Vec<_> = rows.iter().filter(|r| r.run_id == run).collect();
        assert_eq!(of_run.iter().map(|r| r.screened).sum::<u64>(), screened);
        assert_eq!(of_run.iter().map(|r| r.cert_page).sum::<u64>(), pages);
        let truth = if run == 1 { &truth0 } else { &truth1 };
        assert_eq!(
            pages,
            truth
                .values()
                .filter(|t| t["cert_page"].is_string())
                .count() as u64
        );
    }
    let runs = db.runs().unwrap();
    assert!(
        runs.iter()
            .all(|r| r.status == RunStatus::Complete && r.screened == 80)
    );
}
