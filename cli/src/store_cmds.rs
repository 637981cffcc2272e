//! The commands that read the store: `export`, `show`, `runs`, `score`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::{Args, ValueEnum};
use scoring::Tier;
use store::{Filter, RunSelect};

use crate::crawl_cmd::DbArgs;

fn finish(command: &str, result: Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ecoscout {command}: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn parse_run(text: &str) -> Result<RunSelect, String> {
    match text {
        "latest" => Ok(RunSelect::Latest),
        id => id
            .parse()
            .map(RunSelect::Id)
            .map_err(|_| format!("{id:?} is not `latest` or a run id")),
    }
}

fn parse_tier(text: &str) -> Result<Tier, String> {
    Tier::parse(text).ok_or_else(|| format!("{text:?} is not a tier (A, B, C, D, R)"))
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ExportFormat {
    Csv,
    Jsonl,
}

/// Arguments of `ecoscout export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    format: ExportFormat,
    /// `latest` (every supplier's newest observation) or a run id.
    #[arg(long, default_value = "latest", value_parser = parse_run)]
    run: RunSelect,
    /// Only these countries (comma-separated codes).
    #[arg(long, value_delimiter = ',')]
    country: Vec<String>,
    /// Only this region.
    #[arg(long)]
    region: Option<String>,
    /// Only these tiers (comma-separated: A,B).
    #[arg(long, value_delimiter = ',', value_parser = parse_tier)]
    tier: Vec<Tier>,
    /// Only suppliers scoring at least this.
    #[arg(long)]
    min_score: Option<u32>,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Start the CSV with a UTF-8 BOM, for spreadsheets.
    #[arg(long)]
    excel: bool,
}

/// `ecoscout export`.
pub fn export(args: ExportArgs) -> ExitCode {
    finish("export", export_inner(args))
}

fn export_inner(args: ExportArgs) -> Result<()> {
    let db = args.db.open()?;
    let filter = Filter {
        run: args.run,
        countries: args.country,
        region: args.region,
        tiers: args.tier,
        min_score: args.min_score,
    };
    if let RunSelect::Id(id) = filter.run
        && db.run(id)?.is_none()
    {
        bail!("there is no run {id}; `ecoscout runs` lists them");
    }
    let write = |out: &mut dyn std::io::Write| -> Result<u64> {
        Ok(match args.format {
            ExportFormat::Csv => store::export::write_csv(&*db, &filter, out, args.excel)?,
            ExportFormat::Jsonl => store::export::write_jsonl(&*db, &filter, out)?,
        })
    };
    let rows = match &args.output {
        None => write(&mut std::io::stdout().lock())?,
        Some(path) => write_atomically_with(path, |file| write(file))?,
    };
    if args.output.is_some() {
        eprintln!("{rows} suppliers exported");
    }
    Ok(())
}

/// Arguments of `ecoscout show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The supplier's domain.
    domain: String,
    #[command(flatten)]
    db: DbArgs,
    /// `latest` or a run id.
    #[arg(long, default_value = "latest", value_parser = parse_run)]
    run: RunSelect,
}

/// Why each Certifications page was judged one: score and signals.
fn write_cert_pages(
    out: &mut impl std::io::Write,
    o: &crawler::observation::Observation,
) -> Result<()> {
    if o.cert_page_evidence.is_empty() {
        return Ok(());
    }
    writeln!(out, "\ncertifications pages")?;
    for page in &o.cert_page_evidence {
        writeln!(out, "  {}  score {}", page.url, page.score)?;
        for s in &page.signals {
            writeln!(
                out,
                "    {:+4} {}  {}",
                s.points,
                s.feature.as_str(),
                s.evidence
            )?;
        }
    }
    Ok(())
}

/// The certificate documents: kind, format, QR codes and numbers.
fn write_documents(
    out: &mut impl std::io::Write,
    o: &crawler::observation::Observation,
) -> Result<()> {
    if o.documents.is_empty() {
        return Ok(());
    }
    writeln!(out, "\ndocuments")?;
    for d in &o.documents {
        writeln!(
            out,
            "  {}  {}  {}",
            d.kind_label,
            d.format.as_deref().unwrap_or("-"),
            d.url
        )?;
        if !d.evidence.is_empty() {
            writeln!(out, "    named by {}", d.evidence)?;
        }
        for q in &d.qr_codes {
            writeln!(out, "    QR {}  {}", q.leads_to.as_str(), q.payload)?;
        }
        if !d.certificate_numbers.is_empty() {
            writeln!(out, "    numbers {}", d.certificate_numbers.join(" "))?;
        }
        if let Some(e) = &d.error {
            writeln!(out, "    error: {e}")?;
        }
    }
    Ok(())
}

/// `ecoscout show`.
pub fn show(args: ShowArgs) -> ExitCode {
    finish("show", show_inner(args))
}

fn show_inner(args: ShowArgs) -> Result<()> {
    let db = args.db.open()?;
    let domain = crawler::urlnorm::site_of(&url::Url::parse(&format!(
        "http://{}",
        args.domain
            .trim_start_matches("http://")
            .trim_start_matches("https://")
    ))?)
    .unwrap_or_else(|| args.domain.clone());
    let Some(r) = db.supplier(&domain, args.run)? else {
        bail!("{domain} is not in the database");
    };
    let o = &r.observation;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{} ({})", o.name, o.domain)?;
    writeln!(
        out,
        "country {}  region {}  website {}",
        o.country, o.region, o.website
    )?;
    writeln!(
        out,
        "run {}  screened {}",
        r.run_id,
        o.crawled_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )?;
    writeln!(
        out,
        "\nscore {}  tier {}",
        r.readiness.score,
        r.readiness.tier.as_str()
    )?;
    for flag in &r.readiness.red_flags {
        writeln!(out, "  RED FLAG: {flag}")?;
    }
    for warning in &r.readiness.warnings {
        writeln!(out, "  warning: {warning}")?;
    }
    writeln!(out, "\nevidence")?;
    for line in &r.readiness.explanations {
        writeln!(out, "  {line}")?;
    }
    write_cert_pages(&mut out, o)?;
    write_documents(&mut out, o)?;
    if !o.certificates.is_empty() {
        writeln!(out, "\ncertificates")?;
        for c in &o.certificates {
            writeln!(
                out,
                "  {} {} ({})  {}",
                c.certificate_number.as_deref().unwrap_or("(no number)"),
                c.verdict,
                c.format,
                c.url.as_deref().unwrap_or("")
            )?;
            crate::verify::write_checks(&mut out, &c.checks, "    ")?;
            crate::verify::write_identity(&mut out, &c.identity, "    ")?;
        }
    }
    if !o.probes.is_empty() {
        writeln!(out, "\nprobes")?;
        for p in &o.probes {
            writeln!(
                out,
                "  {}  HTTP {}  {} ms  {}  negative control {:?}",
                p.url,
                p.http_status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "-".into()),
                p.latency_ms
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "-".into()),
                p.answer_status.as_deref().unwrap_or("no status"),
                p.negative_control
            )?;
        }
    }
    if !o.errors.is_empty() {
        writeln!(out, "\nerrors")?;
        for e in &o.errors {
            writeln!(out, "  {e}")?;
        }
    }
    let history = db.history(&domain)?;
    if history.len() > 1 {
        writeln!(out, "\nhistory")?;
        for h in history {
            writeln!(
                out,
                "  run {:>4}  {:>3} {}",
                h.run_id,
                h.readiness.score,
                h.readiness.tier.as_str()
            )?;
        }
    }
    Ok(())
}

/// Arguments of `ecoscout runs`.
#[derive(Debug, Args)]
pub struct RunsArgs {
    #[command(flatten)]
    db: DbArgs,
}

/// `ecoscout runs`.
pub fn runs(args: RunsArgs) -> ExitCode {
    finish("runs", runs_inner(args))
}

fn runs_inner(args: RunsArgs) -> Result<()> {
    let db = args.db.open()?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:>4}  {:<11}  {:<20}  {:<20}  {:>9}  {:>9}  {:>7}",
        "run", "status", "started", "ended", "suppliers", "screened", "errors"
    )?;
    for r in db.runs()? {
        let time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
        writeln!(
            out,
            "{:>4}  {:<11}  {:<20}  {:<20}  {:>9}  {:>9}  {:>7}",
            r.id,
            r.status.as_str(),
            time(r.started_at),
            r.ended_at.map(time).unwrap_or_default(),
            r.suppliers,
            r.screened,
            r.with_errors
        )?;
        if let Some(queue) = db.queue(r.id)? {
            writeln!(
                out,
                "      queue: {} pending, {} claimed, {} done",
                queue.pending, queue.claimed, queue.done
            )?;
        }
        for w in db.workers(r.id)? {
            writeln!(
                out,
                "      worker {}: {} screened, joined {}, last heartbeat {}",
                w.name,
                w.screened,
                time(w.started_at),
                time(w.heartbeat_at)
            )?;
        }
    }
    Ok(())
}

/// Arguments of `ecoscout score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Readiness weights (TOML); defaults when absent.
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
    /// `latest` or a run id.
    #[arg(long, default_value = "latest", value_parser = parse_run)]
    run: RunSelect,
}

/// `ecoscout score`.
pub fn score(args: ScoreArgs) -> ExitCode {
    finish("score", score_inner(args))
}

fn score_inner(args: ScoreArgs) -> Result<()> {
    let weights = match &args.weights {
        Some(path) => scoring::Weights::load(path)?,
        None => scoring::Weights::default(),
    };
    let db = args.db.open()?;
    let mut records = Vec::new();
    db.for_each(
        &Filter {
            run: args.run,
            ..Filter::default()
        },
        &mut |r| {
            records.push(r);
            Ok(())
        },
    )?;
    let mut changed = 0;
    for mut r in records.iter().cloned() {
        let readiness = scoring::score(&r.observation, &weights);
        if readiness != r.readiness {
            r.readiness = readiness;
            db.record(&r)?;
            changed += 1;
        }
    }
    db.flush()?;
    eprintln!("{} suppliers re-scored, {changed} changed", records.len());
    Ok(())
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportBy {
    Country,
    Region,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportRuns {
    Latest,
    All,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportFormat {
    Table,
    Csv,
    Html,
}

/// Arguments of `ecoscout report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Group by country or region.
    #[arg(long, value_enum, default_value_t = ReportBy::Country)]
    by: ReportBy,
    /// `latest` (each supplier's newest observation) or `all` (run by run: the trend).
    #[arg(long, value_enum, default_value_t = ReportRuns::Latest)]
    runs: ReportRuns,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// `ecoscout report`.
pub fn report(args: ReportArgs) -> ExitCode {
    finish("report", report_inner(args))
}

fn report_inner(args: ReportArgs) -> Result<()> {
    use store::report::{Group, Runs, adoption};
    let db = args.db.open()?;
    let (group, label) = match args.by {
        ReportBy::Country => (Group::Country, "country"),
        ReportBy::Region => (Group::Region, "region"),
    };
    let runs = match args.runs {
        ReportRuns::Latest => Runs::Latest,
        ReportRuns::All => Runs::All,
    };
    let rows = adoption(&*db, group, runs)?;
    let text = match args.format {
        ReportFormat::Html => store::html::report(
            &rows,
            label,
            &chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ),
        ReportFormat::Csv => {
            let mut csv = csv::Writer::from_writer(Vec::new());
            csv.write_record([
                "run_id",
                label,
                "screened",
                "cert_page",
                "entry",
                "api",
                "verified",
                "red_flag",
                "median_score",
                "A",
                "B",
                "C",
                "D",
                "R",
            ])?;
            for r in &rows {
                let mut row = vec![
                    r.run_id.to_string(),
                    store::export::neutralize(&r.group).into_owned(),
                    r.screened.to_string(),
                    r.cert_page.to_string(),
                    r.entry.to_string(),
                    r.api.to_string(),
                    r.verified.to_string(),
                    r.red_flag.to_string(),
                    format!("{:.1}", r.median_score),
                ];
                row.extend(
                    ["A", "B", "C", "D", "R"]
                        .iter()
                        .map(|t| r.tiers.get(*t).copied().unwrap_or(0).to_string()),
                );
                csv.write_record(&row)?;
            }
            String::from_utf8(csv.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?
        }
        ReportFormat::Table => {
            let mut t = format!(
                "{:>4}  {:<20} {:>8} {:>6} {:>6} {:>6} {:>9} {:>6} {:>7}  tiers A/B/C/D/R\n",
                "run", label, "screened", "page", "entry", "API", "verified", "flag", "median"
            );
            for r in &rows {
                let tiers: Vec<String> = ["A", "B", "C", "D", "R"]
                    .iter()
                    .map(|x| r.tiers.get(*x).copied().unwrap_or(0).to_string())
                    .collect();
                let _ = std::fmt::Write::write_fmt(
                    &mut t,
                    format_args!(
                        "{:>4}  {:<20} {:>8} {:>5.0}% {:>5.0}% {:>5.0}% {:>8.0}% {:>5.0}% {:>7.1}  {}\n",
                        r.run_id,
                        r.group,
                        r.screened,
                        r.share(r.cert_page),
                        r.share(r.entry),
                        r.share(r.api),
                        r.share(r.verified),
                        r.share(r.red_flag),
                        r.median_score,
                        tiers.join("/")
                    ),
                );
            }
            t
        }
    };
    match &args.output {
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
        Some(path) => write_atomically(path, text.as_bytes())?,
    }
    Ok(())
}

/// Writes a file through a temporary file in the same folder and a rename,
/// so that a reader never sees half a file.
pub fn write_atomically_with<T>(
    path: &std::path::Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> Result<T>,
) -> Result<T> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> Result<T> {
        let file = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        let mut buffered = std::io::BufWriter::new(file);
        let value = write(&mut buffered)?;
        buffered
            .into_inner()
            .map_err(|e| e.into_error())?
            .sync_all()?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot move the file to {}", path.display()))?;
        Ok(value)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// [`write_atomically_with`] for bytes already in memory.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    write_atomically_with(path, |out| Ok(out.write_all(bytes)?))
}
