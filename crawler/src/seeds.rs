//! The seeds file: a CSV whose header has a `website` column, and
//! optionally `name`, `country` and `region`; other columns are kept as
//! tags. A malformed row is reported with its line number and skipped.

use std::collections::BTreeMap;
use std::path::Path;

use url::Url;

/// Largest seeds file read, in bytes.
pub const MAX_SEEDS_BYTES: u64 = 512 * 1024 * 1024;

/// One supplier to screen. Serialisable, so that a distributed run can
/// keep its queue of suppliers in the database.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    let mut out = Seeds::default();
    for row in SeedReader::new(bytes, file)? {
        match row {
            Ok(seed) => out.seeds.push(seed),
            Err(problem) => out.problems.push(problem),
        }
    }
    Ok(out)
}

/// Reads seeds one row at a time, so that a crawl of a million suppliers
/// does not hold a million parsed seeds: each row is a seed or the problem
/// that made it skipped. Duplicate websites are dropped (the first row is
/// kept); they are remembered by a 64-bit hash of the URL.
pub struct SeedReader<R: std::io::Read> {
    reader: csv::Reader<R>,
    headers: Vec<String>,
    website: usize,
    name: Option<usize>,
    country: Option<usize>,
    region: Option<usize>,
    seen: std::collections::HashSet<u64>,
    /// Set after an I/O error: the rest of the input cannot be read.
    stopped: bool,
}

impl<R: std::io::Read> SeedReader<R> {
    /// Reads the header of `input`; `file` names it in errors.
    pub fn new(input: R, file: &str) -> Result<SeedReader<R>, SeedsError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(input);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| SeedsError::Read {
                file: file.to_owned(),
                message: e.to_string(),
            })?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_ascii_lowercase())
            .collect();
        let column = |name: &str| headers.iter().position(|h| h == name);
        let Some(website) = column("website") else {
            return Err(SeedsError::NoWebsiteColumn {
                file: file.to_owned(),
                found: headers.join(","),
            });
        };
        Ok(SeedReader {
            name: column("name"),
            country: column("country"),
            region: column("region"),
            website,
            headers,
            reader,
            seen: std::collections::HashSet::new(),
            stopped: false,
        })
    }

    fn seed(&mut self, record: &csv::StringRecord) -> Result<Seed, SeedProblem> {
        let line = record.position().map_or(0, |p| p.line());
        let problem = |problem: String| SeedProblem { line, problem };
        if record.len() != self.headers.len() {
            return Err(problem(format!(
                "{} fields, the header has {}",
                record.len(),
                self.headers.len()
            )));
        }
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or_default().to_owned();
        let url = parse_website(&cell(Some(self.website))).map_err(problem)?;
        if !self.seen.insert(url_hash(&url)) {
            return Err(problem(format!(
                "{url} is listed twice; the first row is kept"
            )));
        }
        let known = [Some(self.website), self.name, self.country, self.region];
        let tags = self
            .headers
            .iter()
            .enumerate()
            .filter(|(i, _)| !known.contains(&Some(*i)))
            .map(|(i, h)| (h.clone(), record.get(i).unwrap_or_default().to_owned()))
            .collect();
        Ok(Seed {
            line,
            website: url,
            name: cell(self.name),
            country: cell(self.country).to_ascii_uppercase(),
            region: cell(self.region),
            tags,
        })
    }
}

impl<R: std::io::Read> Iterator for SeedReader<R> {
    type Item = Result<Seed, SeedProblem>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.stopped {
            return None;
        }
        let mut record = csv::StringRecord::new();
        loop {
            match self.reader.read_record(&mut record) {
                Ok(false) => return None,
                Ok(true) if record.iter().all(str::is_empty) => continue,
                Ok(true) => return Some(self.seed(&record)),
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    self.stopped = matches!(e.kind(), csv::ErrorKind::Io(_));
                    return Some(Err(SeedProblem {
                        line,
                        problem: format!("unreadable row: {e}"),
                    }));
                }
            }
        }
    }
}

/// A 64-bit hash of a URL, to tell duplicates without keeping every URL.
fn url_hash(url: &Url) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    url.as_str().hash(&mut hasher);
    hasher.finish()
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
