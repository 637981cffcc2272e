//! `ecoscout verify`: one credential, every check, the verdict.

use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::{Args, ValueEnum};
use crawler::{FetchPolicy, HttpFetcher, ResolveRule};
use eco::json::{MAX_DOCUMENT_BYTES, parse_strict};
use eco::openattestation::identity::IdentityOutcome;
use eco::openattestation::link;
use eco::{CertificateReport, Fetcher, TrustList, Verdict, Verifier};
use url::Url;

/// Exit status when the credential is verified.
const EXIT_VERIFIED: u8 = 0;
/// Exit status when it is not (failed or unverifiable).
const EXIT_NOT_VERIFIED: u8 = 1;
/// Exit status for bad usage or unreadable input.
const EXIT_USAGE: u8 = 2;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Arguments of `ecoscout verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The credential: a file, `-` for standard input, or an http(s) URL.
    input: String,
    /// The buyer's trust list (TOML).
    #[arg(long, value_name = "FILE")]
    trust: PathBuf,
    /// The supplier's domain the exporter must match.
    #[arg(long, value_name = "DOMAIN")]
    exporter: Option<String>,
    /// The supplier's name, for documents that name the exporter but not
    /// its website (TradeTrust certificates of origin).
    #[arg(long, value_name = "NAME", requires = "exporter")]
    exporter_name: Option<String>,
    /// Make no request: the network checks are reported as unknown.
    #[arg(long)]
    offline: bool,
    /// Map a host name (or every name under `*.suffix`) to an address; the
    /// port comes from the URL. Repeatable.
    #[arg(long, value_name = "PATTERN=IP")]
    resolve: Vec<ResolveRule>,
    /// Allow requests to loopback and private addresses.
    #[arg(long)]
    allow_private: bool,
    /// The DNS server (IP:PORT) every name is resolved through, issuers'
    /// identity records (TradeTrust DNS-TXT) included; by default the
    /// system's.
    #[arg(long, value_name = "IP:PORT")]
    dns_server: Option<std::net::SocketAddr>,
    /// A host name, or `*.suffix`, whose DNS answers may be private
    /// addresses; IP literals and other names stay guarded. Repeatable.
    #[arg(long, value_name = "PATTERN")]
    private_names: Vec<crawler::HostPattern>,
    /// Time a request may take, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 15.0)]
    timeout: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Runs the command and maps the outcome to the exit status.
pub fn run(args: VerifyArgs) -> ExitCode {
    match run_inner(&args) {
        Ok(report) => {
            if let Err(e) = print(&report, args.format) {
                eprintln!("ecoscout verify: {e:#}");
                return ExitCode::from(EXIT_USAGE);
            }
            ExitCode::from(match report.verdict {
                Verdict::Verified => EXIT_VERIFIED,
                _ => EXIT_NOT_VERIFIED,
            })
        }
        Err(e) => {
            eprintln!("ecoscout verify: {e:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn run_inner(args: &VerifyArgs) -> Result<CertificateReport> {
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        bail!("--timeout must be a positive number of seconds");
    }
    let trust = Arc::new(TrustList::load(&args.trust)?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let url = Url::parse(&args.input)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        let exporter = args.exporter.as_deref().map(|domain| eco::Exporter {
            domain,
            name: args.exporter_name.as_deref(),
        });
        if args.offline {
            if url.is_some() {
                bail!(
                    "--offline: cannot download {}; save it to a file first",
                    args.input
                );
            }
            let document = parse_strict(&read_local(&args.input)?)?;
            let verifier = Verifier::offline(trust);
            return Ok(verifier.verify_value_as(&document, exporter).await?);
        }
        let fetcher = HttpFetcher::new(FetchPolicy {
            timeout: Duration::from_secs_f64(args.timeout),
            max_body_bytes: eco::fetch::MAX_VERIFICATION_BODY_BYTES,
            resolve: args.resolve.clone(),
            allow_private: args.allow_private,
            dns_server: args.dns_server,
            private_names: args.private_names.clone(),
            ..FetchPolicy::default()
        })?;
        let document = match &url {
            Some(url) => match link::parse_link(url) {
                Some(link) => {
                    let link = link.with_context(|| format!("{url}"))?;
                    let fetched = parse_strict(&download(&fetcher, &link.uri).await?)?;
                    link::open(fetched, link.key.as_deref())
                        .with_context(|| format!("the document at {}", link.uri))?
                }
                None => parse_strict(&download(&fetcher, url).await?)?,
            },
            None => parse_strict(&read_local(&args.input)?)?,
        };
        let verifier = Verifier::new(trust, fetcher);
        let mut report = verifier.verify_value_as(&document, exporter).await?;
        report.url = url.map(|u| u.to_string());
        Ok(report)
    })
}

/// Downloads a document (the fetcher caps its size and time).
async fn download(fetcher: &HttpFetcher, url: &Url) -> Result<Vec<u8>> {
    let response = fetcher
        .get(url, "application/vc, application/json, */*;q=0.5")
        .await
        .with_context(|| format!("cannot download {url}"))?;
    if response.status != 200 {
        bail!("{url} answered HTTP {}", response.status);
    }
    Ok(response.body)
}

/// Reads a file or standard input, at most one byte past the document cap
/// (so that an oversized document is reported as such, not read whole).
fn read_local(input: &str) -> Result<Vec<u8>> {
    let limit = MAX_DOCUMENT_BYTES as u64 + 1;
    let mut bytes = Vec::new();
    if input == "-" {
        std::io::stdin()
            .take(limit)
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
    } else {
        std::fs::File::open(input)
            .with_context(|| format!("cannot open {input}"))?
            .take(limit)
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {input}"))?;
    }
    Ok(bytes)
}

fn print(report: &CertificateReport, format: Format) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer(&mut out, report)?;
            writeln!(out)?;
        }
        Format::Text => {
            let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_owned());
            writeln!(out, "certificate  {}", or_none(&report.certificate_number))?;
            writeln!(out, "format       {}", report.format)?;
            let authority = report
                .authority
                .as_deref()
                .map(|a| format!(" (authority {a})"))
                .unwrap_or_else(|| " (not in the trust list)".to_owned());
            writeln!(out, "issuer       {}{authority}", or_none(&report.issuer))?;
            writeln!(out, "digest       {}", report.digest)?;
            if let Some(url) = &report.url {
                writeln!(out, "url          {url}")?;
            }
            write_checks(&mut out, &report.checks, "  ")?;
            write_identity(&mut out, &report.identity, "")?;
            writeln!(out, "verdict      {}: {}", report.verdict, report.reason)?;
        }
    }
    Ok(())
}

/// Writes what the issuers' DNS identity proofs say: evidence, which no
/// check counts.
pub fn write_identity(
    out: &mut dyn std::io::Write,
    proofs: &[eco::openattestation::identity::IdentityProof],
    indent: &str,
) -> std::io::Result<()> {
    for proof in proofs {
        let outcome = match proof.outcome {
            IdentityOutcome::Confirmed => "confirmed",
            IdentityOutcome::NotConfirmed => "not confirmed",
            IdentityOutcome::NotChecked => "not checked",
        };
        writeln!(
            out,
            "{indent}identity     {} {}: {outcome} ({}; evidence only)",
            proof.method, proof.location, proof.detail
        )?;
    }
    Ok(())
}

/// Writes one line per check: name, outcome and, for a non-pass, the reason.
pub fn write_checks(
    out: &mut dyn std::io::Write,
    checks: &eco::Checks,
    indent: &str,
) -> std::io::Result<()> {
    for (name, result) in checks.iter() {
        let line = format!(
            "{indent}{:<18}{:<9}{}",
            name.as_str(),
            result.outcome.as_str(),
            result.reason.as_deref().unwrap_or("")
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}
