//! The seeds file: a CSV whose header has a `website` column, and
//! optionally `name`, `country` and `region`; other columns are kept as
//! tags. A malformed row is reported with its line number and skipped.

use std::collections::BTreeMap;
use std::path::Path;

use url::Url;

/// Largest seeds file read, in bytes.
pub const MAX_SEEDS_BYTES: u64 = 512 * 1024 * 1024;

/// One supplier to screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    /// Line of the seeds file (1 = the header).
    pub line: u64,
    /// The website to start from.
    pub website: Url,
    /// Name.
    pub name: String,
    /// Country code, upper case.
    pub country: String,
    /// Region.
    pub region: String,
    /// The other columns.
    pub tags: BTreeMap<String, String>,
}

/// A row that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedProblem {
    /// Line of the seeds file.
    pub line: u64,
    /// What is wrong.
    pub problem: String,
}

/// Why the seeds file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum SeedsError {
    /// I/O or CSV framing.
    #[error("{file}: {message}")]
    Read {
        /// The file.
        file: String,
        /// What happened.
        message: String,
    },
    /// No `website` column.
    #[error("{file}: the header has no `website` column (found: {found})")]
    NoWebsiteColumn {
        /// The file.
        file: String,
        /// The columns found.
        found: String,
    },
}

/// The seeds read, and the rows skipped.
#[derive(Debug, Clone, Default)]
pub struct Seeds {
    /// Suppliers, in file order (duplicate websites dropped).
    pub seeds: Vec<Seed>,
    /// Rows skipped.
    pub problems: Vec<SeedProblem>,
}

/// Reads a seeds file.
pub fn read_seeds(path: &Path) -> Result<Seeds, SeedsError> {
    let file = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| SeedsError::Read {
        file: file.clone(),
        message: e.to_string(),
    })?;
    if meta.len() > MAX_SEEDS_BYTES {
        return Err(SeedsError::Read {
            file,
            message: format!("larger than {MAX_SEEDS_BYTES} bytes"),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| SeedsError::Read {
        file: file.clone(),
        message: e.to_string(),
    })?;
    parse_seeds(&bytes, &file)
}

/// Parses seeds CSV; `file` names it in errors.
pub fn parse_seeds(bytes: &[u8], file: &str) -> Result<Seeds, SeedsError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| SeedsError::Read {
            file: file.to_owned(),
            message: e.to_string(),
        })?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let Some(website) = column("website") else {
        return Err(SeedsError::NoWebsiteColumn {
            file: file.to_owned(),
            found: headers.join(","),
        });
    };
    let (name, country, region) = (column("name"), column("country"), column("region"));
    let mut out = Seeds::default();
    let mut seen = std::collections::HashSet::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                out.problems.push(SeedProblem {
                    line,
                    problem: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != headers.len() {
            out.problems.push(SeedProblem {
                line,
                problem: format!("{} fields, the header has {}", record.len(), headers.len()),
            });
            continue;
        }
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or_default().to_owned();
        let raw = cell(Some(website));
        let url = match parse_website(&raw) {
            Ok(u) => u,
            Err(problem) => {
                out.problems.push(SeedProblem { line, problem });
                continue;
            }
        };
        if !seen.insert(url.to_string()) {
            out.problems.push(SeedProblem {
                line,
                problem: format!("{url} is listed twice; the first row is kept"),
            });
            continue;
        }
        let tags = headers
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                Some(*i) != Some(website)
                    && Some(*i) != name
                    && Some(*i) != country
                    && Some(*i) != region
            })
            .map(|(i, h)| (h.clone(), record.get(i).unwrap_or_default().to_owned()))
            .collect();
        out.seeds.push(Seed {
            line,
            website: url,
            name: cell(name),
            country: cell(country).to_ascii_uppercase(),
            region: cell(region),
            tags,
        });
    }
    Ok(out)
}

/// A website cell as a URL: `https://` is assumed when no scheme is given.
fn parse_website(raw: &str) -> Result<Url, String> {
    if raw.is_empty() {
        return Err("the website is empty".into());
    }
    let with_scheme = if raw.contains("://") {
        raw.to_owned()
    } else {
        format!("https://{raw}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| format!("{raw:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("{raw:?} is not an http(s) website"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_columns_tags_and_reports_bad_rows_with_their_line() {
        let csv = "\u{feff}Name,Website,Country,Region,Segment\nAcme,acme.test,cn,Zhejiang,electronics\nNo site,,VN,,x\nBad,ht!tp://x,VN,,x\nShort,b.test\nDup,https://acme.test/,CN,,y\nOk,http://b.test:8080/,th,Bangkok,food\n";
        let seeds = parse_seeds(csv.as_bytes(), "s.csv").unwrap();
        assert_eq!(seeds.seeds.len(), 2);
        assert_eq!(seeds.seeds[0].website.as_str(), "https://acme.test/");
        assert_eq!(seeds.seeds[0].country, "CN");
        assert_eq!(
            seeds.seeds[0].tags.get("segment").map(String::as_str),
            Some("electronics")
        );
        assert_eq!(seeds.seeds[1].line, 7);
        let lines: Vec<u64> = seeds.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4, 5, 6]);
    }

    #[test]
    fn a_header_without_website_is_an_error() {
        let err = parse_seeds(b"name,url\na,b\n", "s.csv").unwrap_err();
        assert!(err.to_string().contains("no `website` column"), "{err}");
    }
}
