//! `--config FILE`: settings from a TOML file, with the same names as the
//! flags (`concurrency = 32`, `delay = "500ms"`, `resolve = ["*.test=127.0.0.1"]`).
//! Flags on the command line win: the file's settings are placed before
//! them, and a later occurrence of a flag overrides an earlier one.

use std::path::Path;

use anyhow::{Context as _, Result, bail};

/// Largest configuration file read.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The command line with the settings of any `--config FILE` inserted right
/// after the subcommand.
pub fn expand(args: Vec<String>) -> Result<Vec<String>> {
    let mut config = None;
    let mut rest = Vec::with_capacity(args.len());
    let mut iter = args.into_iter();
    while let Some(arg) = iter.next() {
        if arg == "--config" {
            config = Some(iter.next().context("--config needs a FILE")?);
        } else if let Some(file) = arg.strip_prefix("--config=") {
            config = Some(file.to_owned());
        } else {
            rest.push(arg);
        }
    }
    let Some(file) = config else {
        return Ok(rest);
    };
    let settings = read(Path::new(&file))?;
    // Insert after the program name and the subcommand.
    let at = rest
        .iter()
        .skip(1)
        .position(|a| !a.starts_with('-'))
        .map_or(rest.len(), |p| p + 2);
    let at = at.min(rest.len());
    let mut out = rest[..at].to_vec();
    out.extend(settings);
    out.extend_from_slice(&rest[at..]);
    Ok(out)
}

fn read(path: &Path) -> Result<Vec<String>> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    if meta.len() > MAX_CONFIG_BYTES {
        bail!("{}: larger than {MAX_CONFIG_BYTES} bytes", path.display());
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("{} is not TOML", path.display()))?;
    let mut args = Vec::new();
    for (key, value) in table {
        let flag = format!("--{}", key.replace('_', "-"));
        let scalar = |v: &toml::Value| -> Result<String> {
            Ok(match v {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                other => bail!(
                    "{}: `{key}` must be a string or a number, not {}",
                    path.display(),
                    other.type_str()
                ),
            })
        };
        match &value {
            toml::Value::Boolean(true) => args.push(flag),
            toml::Value::Boolean(false) => {}
            toml::Value::Array(items) => {
                for item in items {
                    args.push(flag.clone());
                    args.push(scalar(item)?);
                }
            }
            other => {
                args.push(flag);
                args.push(scalar(other)?);
            }
        }
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_settings_come_before_the_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "concurrency = 8\ndelay = \"250ms\"\nallow_private = false\nresolve = [\"*.test=127.0.0.1\"]\n").unwrap();
        let argv = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let out = expand(argv(&[
            "ecoscout",
            "crawl",
            "--config",
            file.to_str().unwrap(),
            "--delay",
            "1s",
        ]))
        .unwrap();
        assert_eq!(out[..2], argv(&["ecoscout", "crawl"])[..]);
        let delay_positions: Vec<usize> = out
            .iter()
            .enumerate()
            .filter(|(_, a)| *a == "--delay")
            .map(|(i, _)| i)
            .collect();
        assert_eq!(delay_positions.len(), 2);
        assert_eq!(
            out[delay_positions[1] + 1],
            "1s",
            "the flag comes last, so it wins"
        );
        assert!(
            out.contains(&"--resolve".to_owned()) && !out.contains(&"--allow-private".to_owned())
        );
        assert!(
            expand(argv(&[
                "ecoscout",
                "crawl",
                "--config",
                "/nonexistent.toml"
            ]))
            .is_err()
        );
    }
}
