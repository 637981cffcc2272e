//! [`Store::page`](crate::Store::page) on PostgreSQL: keyset pages
//! (`domain > $after ORDER BY domain LIMIT $n`) on the filter tables'
//! indexes.
//!
//! The filter columns live in `latest` (the latest records) and `records`
//! (one run's), indexed as (value, domain) and (run_id, value, domain),
//! and the primary keys are in domain order. A filter that names one
//! value walks one keyset range of its index. Several values (`tier=A,B`)
//! would make `tier = ANY($1) ... ORDER BY domain` read every matching row
//! after the cursor and sort them (PostgreSQL 15 does not return an `=
//! ANY` index scan in the next column's order), so the walk is a UNION ALL
//! of one keyset range per value, each `LIMIT $n`, merged in domain order.
//!
//! Only the index's own conditions (run, value, cursor) are inside the
//! walk. The others (`min_score`, and the fields no index was chosen for)
//! are evaluated on the walked rows, outside its LIMIT: inside, the
//! planner may prefer collecting another index's (or a bitmap's) matches
//! after the cursor and sorting them, reading them all for one page.
//! A walked row that fails them comes back without its record, so the
//! next query continues after it. Each record is read by primary key.
//!
//! `pg_page_queries_are_index_scans_that_stop_at_the_limit` (below, run
//! by scripts/test) checks with EXPLAIN on 5,000 suppliers in two runs,
//! with fresh statistics, that every filter's plan is a Limit over index
//! scans in domain order from the cursor (a Merge Append of them for
//! several values): no Seq Scan, no Bitmap scan, no Sort. On PostgreSQL
//! 15 one run's pages read `records_run_tier` (`_country`, `_region`) or
//! the primary key; the latest pages of a tier that a fifth of the
//! suppliers have read `latest_pkey` with the tier as a filter (a walk of
//! about five rows per row of the page), which the planner costs below
//! `latest_tier` and its lookups.

use tokio_postgres::types::ToSql;

use super::{PAGE_SIZE, PgStore, client, col, db_err, decode, sql_id};
use crate::StoreError;
use crate::model::{Filter, Record, RunSelect};

/// A query's parameters.
type Params = Vec<Box<dyn ToSql + Sync + Send>>;

/// Adds a parameter and returns its placeholder (`$3`).
fn bind(params: &mut Params, value: impl ToSql + Sync + Send + 'static) -> String {
    params.push(Box::new(value));
    format!("${}", params.len())
}

/// The indexed column a filter's walk reads (tiers first, then
/// countries, then region, as sled chooses its index), with its distinct
/// values, normalised as the columns are.
fn dimension(filter: &Filter) -> Option<(&'static str, Vec<String>)> {
    let (column, mut values): (&str, Vec<String>) = if !filter.tiers.is_empty() {
        ("tier", tiers(filter))
    } else if !filter.countries.is_empty() {
        ("country", countries(filter))
    } else {
        ("region", vec![filter.region.as_ref()?.to_lowercase()])
    };
    values.sort();
    values.dedup();
    Some((column, values))
}

fn tiers(filter: &Filter) -> Vec<String> {
    filter.tiers.iter().map(|t| t.as_str().to_owned()).collect()
}

fn countries(filter: &Filter) -> Vec<String> {
    filter
        .countries
        .iter()
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The query of one stretch of the walk: the next `limit` rows after
/// `after` in domain order that the chosen index holds, as (domain,
/// record), the record NULL for a row the other conditions refuse.
pub(super) fn page_sql(
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
) -> Result<(String, Params), StoreError> {
    let mut params: Params = Vec::new();
    let mut walk: Vec<String> = Vec::new();
    let table = match filter.run {
        RunSelect::Latest => "latest",
        RunSelect::Id(id) => {
            let p = bind(&mut params, sql_id(id)?);
            walk.push(format!("x.run_id = {p}"));
            "records"
        }
    };
    if let Some(after) = after {
        walk.push(format!(
            "x.domain > {}",
            bind(&mut params, after.to_owned())
        ));
    }
    let dimension = dimension(filter);
    let chosen = dimension.as_ref().map(|(column, _)| *column);
    let mut rest: Vec<String> = Vec::new();
    if chosen != Some("tier") && !filter.tiers.is_empty() {
        rest.push(format!(
            "p.tier = ANY({})",
            bind(&mut params, tiers(filter))
        ));
    }
    if chosen != Some("country") && !filter.countries.is_empty() {
        rest.push(format!(
            "p.country = ANY({})",
            bind(&mut params, countries(filter))
        ));
    }
    if chosen != Some("region")
        && let Some(region) = &filter.region
    {
        rest.push(format!(
            "p.region = {}",
            bind(&mut params, region.to_lowercase())
        ));
    }
    if let Some(min) = filter.min_score {
        rest.push(format!("p.score >= {}", bind(&mut params, i64::from(min))));
    }
    let limit = bind(&mut params, limit);
    let branch = |conditions: &[String]| {
        let mut sql = format!(
            "(SELECT x.domain, x.run_id, x.tier, x.country, x.region, x.score FROM {table} x"
        );
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        sql.push_str(&format!(" ORDER BY x.domain LIMIT {limit})"));
        sql
    };
    let branches: Vec<String> = match dimension {
        None => vec![branch(&walk)],
        Some((column, values)) => values
            .into_iter()
            .map(|value| {
                let mut conditions = walk.clone();
                conditions.push(format!("x.{column} = {}", bind(&mut params, value)));
                branch(&conditions)
            })
            .collect(),
    };
    let accepted = if rest.is_empty() {
        "true".to_owned()
    } else {
        rest.join(" AND ")
    };
    // The record is read per row by primary key: a join would let the
    // planner hash all of `records` for a page of a hundred.
    let sql = format!(
        "SELECT p.domain,
                CASE WHEN {accepted} THEN
                    (SELECT r.body::text FROM records r
                     WHERE r.run_id = p.run_id AND r.domain = p.domain)
                END
         FROM ({}) p
         ORDER BY p.domain LIMIT {limit}",
        branches.join(" UNION ALL ")
    );
    Ok((sql, params))
}

/// Up to `limit` records `filter` accepts, with domains after `after`, in
/// domain order: stretches of the walk of at most [`PAGE_SIZE`] rows from
/// the cursor on, until the page is full or the rows run out (the filter
/// decides, as on sled, and may refuse a row the columns allowed).
pub(super) fn page(
    store: &PgStore,
    filter: &Filter,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Record>, StoreError> {
    let stretch = limit.min(usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX));
    let mut out = Vec::new();
    let mut cursor = after.map(str::to_owned);
    while out.len() < limit {
        let (sql, params) = page_sql(
            filter,
            cursor.as_deref(),
            i64::try_from(stretch).unwrap_or(PAGE_SIZE),
        )?;
        let rows = store.call(move |pool| async move {
            let client = client(&pool).await?;
            let statement = client.prepare_cached(&sql).await.map_err(db_err)?;
            let refs: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            let rows = client.query(&statement, &refs).await.map_err(db_err)?;
            rows.iter()
                .map(|row| {
                    let record = col::<Option<&str>>(row, 1)?.map(decode::<Record>);
                    Ok((col::<String>(row, 0)?, record.transpose()?))
                })
                .collect::<Result<Vec<_>, StoreError>>()
        })?;
        let more = rows.len() == stretch;
        for (domain, record) in rows {
            if out.len() == limit {
                break;
            }
            cursor = Some(domain);
            if let Some(record) = record.filter(|r| filter.accepts(r)) {
                out.push(record);
            }
        }
        if !more {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use scoring::Tier;

    /// Suppliers in the planner test: enough that a sequential scan and a
    /// sort would be cheaper than an index for a query that reads them all.
    const SUPPLIERS: u32 = 5000;

    /// The plan nodes of `EXPLAIN (COSTS OFF)` output: its first line and
    /// every `->` line, without the arrow.
    fn nodes(plan: &[String]) -> Vec<String> {
        plan.iter()
            .enumerate()
            .filter_map(|(i, line)| {
                let line = line.trim();
                match line.strip_prefix("->") {
                    Some(node) => Some(node.trim().to_owned()),
                    None if i == 0 => Some(line.to_owned()),
                    None => None,
                }
            })
            .collect()
    }

    /// The page queries are keyset index scans: on thousands of suppliers
    /// with fresh statistics, no plan reads a table sequentially or sorts.
    #[test]
    #[ignore = "needs PostgreSQL: run scripts/test"]
    fn pg_page_queries_are_index_scans_that_stop_at_the_limit() {
        let server = std::env::var("ECOSCOUT_TEST_PG")
            .expect("ECOSCOUT_TEST_PG is not set: this test needs PostgreSQL; run scripts/test");
        let name = format!("ecoscout_page_plans_{}", std::process::id());
        let admin = PgStore::open(&server).unwrap();
        let run_sql = |store: &PgStore, sql: String| {
            store
                .call(move |pool| async move {
                    client(&pool)
                        .await?
                        .batch_execute(&sql)
                        .await
                        .map_err(db_err)
                })
                .unwrap();
        };
        run_sql(&admin, format!("DROP DATABASE IF EXISTS {name}"));
        run_sql(&admin, format!("CREATE DATABASE {name}"));
        let mut url = url::Url::parse(&server).unwrap();
        url.set_path(&format!("/{name}"));
        let store = PgStore::open(url.as_str()).unwrap();
        run_sql(
            &store,
            format!(
                "INSERT INTO runs (id, status, body) VALUES (1, 'complete', '{{}}'), (2, 'complete', '{{}}');
                 INSERT INTO records (run_id, domain, country, region, tier, score, has_errors, body)
                 SELECT r, 's' || lpad(i::text, 5, '0') || '.example',
                        (ARRAY['VN', 'TH', 'KH', 'CN', 'ID'])[i % 5 + 1],
                        (ARRAY['mekong delta', 'isan', 'java'])[i % 3 + 1],
                        (ARRAY['A', 'B', 'C', 'D', 'R'])[(i / 7) % 5 + 1],
                        i % 101, false, '{{}}'
                 FROM generate_series(1, {SUPPLIERS}) i, generate_series(1, 2) r;
                 INSERT INTO latest (domain, run_id, country, region, tier, score)
                 SELECT domain, run_id, country, region, tier, score FROM records WHERE run_id = 2;
                 ANALYZE;"
            ),
        );
        let mut filters = Vec::new();
        for run in [RunSelect::Latest, RunSelect::Id(1)] {
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
                    tiers: vec![Tier::A, Tier::B, Tier::R],
                    ..base.clone()
                },
                Filter {
                    countries: vec!["vn".into(), "TH".into()],
                    ..base.clone()
                },
                Filter {
                    region: Some("Isan".into()),
                    ..base.clone()
                },
                Filter {
                    min_score: Some(60),
                    ..base.clone()
                },
                Filter {
                    tiers: vec![Tier::A, Tier::C],
                    countries: vec!["VN".into()],
                    min_score: Some(30),
                    ..base.clone()
                },
            ]);
        }
        for filter in &filters {
            for after in [None, Some("s02500.example")] {
                let (sql, params) = page_sql(filter, after, 100).unwrap();
                let plan = store
                    .call(move |pool| async move {
                        let client = client(&pool).await?;
                        let refs: Vec<&(dyn ToSql + Sync)> = params
                            .iter()
                            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                            .collect();
                        let rows = client
                            .query(&format!("EXPLAIN (COSTS OFF) {sql}"), &refs)
                            .await
                            .map_err(db_err)?;
                        rows.iter()
                            .map(|row| col::<String>(row, 0))
                            .collect::<Result<Vec<String>, StoreError>>()
                    })
                    .unwrap();
                let nodes = nodes(&plan);
                let text = plan.join("\n");
                assert!(
                    nodes[0].starts_with("Limit"),
                    "{filter:?} after {after:?}:\n{text}"
                );
                assert!(
                    nodes.iter().all(|n| !n.starts_with("Seq Scan")
                        && !n.contains("Sort")
                        && !n.starts_with("Bitmap")),
                    "{filter:?} after {after:?}: not a keyset walk:\n{text}"
                );
                assert!(
                    nodes.iter().any(|n| n.starts_with("Index")),
                    "{filter:?} after {after:?}:\n{text}"
                );
            }
        }
        drop(store);
        run_sql(
            &admin,
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        );
    }
}
