//! The deployment files under `deploy/`, checked against this binary
//! without a container engine or a cluster: every Kubernetes manifest
//! parses; every container's command line is accepted by the same argument
//! parser `main` uses (`Cli`, after `--config` expansion), so a flag
//! renamed here breaks this test rather than a pod; the database URL
//! reaches the pods only from a Secret (`ECOSCOUT_DB`), file arguments
//! point into the mounted ConfigMap or Secret, the API's probes ask
//! `/healthz` on the port `serve` listens on; and the container build runs
//! the README's build command on the workspace's `rust-version`.
//!
//! A unit test rather than a test of the built binary: running the binary
//! would run the commands (or, with `--help`, parse nothing after it), and
//! a switch that makes `main` parse and exit would be a hidden mode of the
//! shipped program for the sake of a test.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Parser as _;
use yaml_rust2::{Yaml, YamlLoader};

use crate::Cli;

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every YAML document under `deploy/k8s`, with the file it came from.
fn manifests() -> Vec<(String, Yaml)> {
    let dir = root().join("deploy/k8s");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let docs = YamlLoader::load_from_str(&read(&path))
            .unwrap_or_else(|e| panic!("{name} is not YAML: {e}"));
        for doc in docs {
            out.push((name.clone(), doc));
        }
    }
    out
}

fn str_of<'a>(y: &'a Yaml, what: &str) -> &'a str {
    y.as_str()
        .unwrap_or_else(|| panic!("{what} must be a string, is {y:?}"))
}

fn list(y: &Yaml) -> &[Yaml] {
    y.as_vec().map_or(&[], Vec::as_slice)
}

/// A manifest's kind and name, for messages.
fn title(file: &str, doc: &Yaml) -> String {
    format!(
        "{file}: {} {}",
        doc["kind"].as_str().unwrap_or("?"),
        doc["metadata"]["name"].as_str().unwrap_or("?")
    )
}

/// The keys of every ConfigMap and Secret: (kind, name) -> keys.
fn objects_keys(docs: &[(String, Yaml)]) -> BTreeMap<(String, String), Vec<String>> {
    let mut out = BTreeMap::new();
    for (_, doc) in docs {
        let kind = doc["kind"].as_str().unwrap_or_default();
        if kind != "ConfigMap" && kind != "Secret" {
            continue;
        }
        let keys = ["data", "stringData"]
            .iter()
            .filter_map(|field| doc[*field].as_hash())
            .flat_map(|h| h.keys().map(|k| str_of(k, "a key").to_owned()))
            .collect();
        let name = str_of(&doc["metadata"]["name"], "metadata.name").to_owned();
        out.insert((kind.to_owned(), name), keys);
    }
    out
}

/// The pod template of a workload, if the document is one.
fn pod_spec(doc: &Yaml) -> Option<&Yaml> {
    match doc["kind"].as_str()? {
        "Job" | "Deployment" => Some(&doc["spec"]["template"]["spec"]),
        _ => None,
    }
}

/// The value of `--flag VALUE` or `--flag=VALUE` in `argv`.
fn flag_value<'a>(argv: &'a [String], flag: &str) -> Option<&'a str> {
    argv.iter().enumerate().find_map(|(i, a)| {
        if a == flag {
            argv.get(i + 1).map(String::as_str)
        } else {
            a.strip_prefix(flag)?.strip_prefix('=')
        }
    })
}

/// Checks one container of `pod`; returns what is wrong.
fn check_container(
    pod: &Yaml,
    container: &Yaml,
    keys: &BTreeMap<(String, String), Vec<String>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let name = container["name"].as_str().unwrap_or("?");
    let command: Vec<&str> = list(&container["command"])
        .iter()
        .map(|c| str_of(c, "command"))
        .collect();
    if command != ["ecoscout"] {
        problems.push(format!(
            "{name}: command must be [\"ecoscout\"], is {command:?}"
        ));
    }
    // Kubernetes wants every argument as a string: `- 64` would be refused.
    let args: Vec<String> = list(&container["args"])
        .iter()
        .map(|a| str_of(a, "every argument (quote numbers)").to_owned())
        .collect();
    let argv: Vec<String> = std::iter::once("ecoscout".to_owned())
        .chain(args.iter().cloned())
        .collect();
    match crate::config::expand(argv.clone()).map(Cli::try_parse_from) {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => problems.push(format!(
            "{name}: ecoscout does not accept {args:?}: {}",
            e.render()
        )),
        Err(e) => problems.push(format!("{name}: {e:#}")),
    }

    // The database URL only from the Secret, as ECOSCOUT_DB.
    if args
        .iter()
        .any(|a| a.starts_with("--db") || a.contains("://"))
    {
        problems.push(format!(
            "{name}: the database URL belongs in a Secret, not the command line"
        ));
    }
    let db = list(&container["env"])
        .iter()
        .find(|e| e["name"].as_str() == Some("ECOSCOUT_DB"));
    match db.map(|e| &e["valueFrom"]["secretKeyRef"]) {
        Some(secret) if !secret.is_badvalue() => {
            let wanted = (
                "Secret".to_owned(),
                str_of(&secret["name"], "secretKeyRef.name").to_owned(),
            );
            let key = str_of(&secret["key"], "secretKeyRef.key");
            if !keys
                .get(&wanted)
                .is_some_and(|k| k.iter().any(|k| k == key))
            {
                problems.push(format!(
                    "{name}: ECOSCOUT_DB from {wanted:?} key {key:?}, which no manifest defines"
                ));
            }
        }
        _ => problems.push(format!(
            "{name}: ECOSCOUT_DB must come from a Secret (valueFrom.secretKeyRef)"
        )),
    }

    // File arguments: inside a mounted ConfigMap or Secret, naming one of
    // its keys; the API token only from a Secret.
    for flag in ["--seeds", "--trust", "--weights", "--token-file"] {
        let Some(path) = flag_value(&args, flag) else {
            continue;
        };
        let mount = list(&container["volumeMounts"]).iter().find(|m| {
            let at = m["mountPath"].as_str().unwrap_or_default();
            path.strip_prefix(at)
                .is_some_and(|rest| rest.starts_with('/'))
        });
        let Some(mount) = mount else {
            problems.push(format!("{name}: {flag} {path} is in no mounted volume"));
            continue;
        };
        let file = &path[str_of(&mount["mountPath"], "mountPath").len() + 1..];
        let volume = list(&pod["volumes"])
            .iter()
            .find(|v| v["name"] == mount["name"]);
        let source = volume.and_then(|v| {
            if let Some(name) = v["configMap"]["name"].as_str() {
                Some(("ConfigMap", name))
            } else {
                v["secret"]["secretName"].as_str().map(|n| ("Secret", n))
            }
        });
        let Some((kind, object)) = source else {
            problems.push(format!(
                "{name}: {flag} {path} is not in a ConfigMap or Secret volume"
            ));
            continue;
        };
        if flag == "--token-file" && kind != "Secret" {
            problems.push(format!("{name}: the API token must come from a Secret"));
        }
        let defined = keys.get(&(kind.to_owned(), object.to_owned()));
        if !defined.is_some_and(|k| k.iter().any(|k| k == file)) {
            problems.push(format!(
                "{name}: {flag} {path}: {kind} {object} defines no key {file:?}"
            ));
        }
    }
    problems
}

#[test]
fn every_command_line_in_the_manifests_is_accepted_and_secrets_stay_out_of_it() {
    let docs = manifests();
    let keys = objects_keys(&docs);
    let mut problems = Vec::new();
    let mut subcommands = Vec::new();
    let mut images = Vec::new();
    for (file, doc) in &docs {
        let title = title(file, doc);
        for field in ["apiVersion", "kind"] {
            if doc[field].as_str().is_none() {
                problems.push(format!("{title}: no {field}"));
            }
        }
        if !doc["metadata"]["namespace"].is_badvalue() {
            problems.push(format!(
                "{title}: names a namespace (the manifests are namespace-agnostic)"
            ));
        }
        let Some(pod) = pod_spec(doc) else {
            continue;
        };
        for container in list(&pod["containers"])
            .iter()
            .chain(list(&pod["initContainers"]))
        {
            images.push(str_of(&container["image"], "image").to_owned());
            if let Some(sub) = list(&container["args"]).first().and_then(Yaml::as_str) {
                subcommands.push(sub.to_owned());
            }
            for p in check_container(pod, container, &keys) {
                problems.push(format!("{title}: {p}"));
            }
        }
    }
    subcommands.sort();
    assert_eq!(
        subcommands,
        ["crawl", "serve", "work"],
        "one enqueue Job, one work Job, one API"
    );
    images.sort();
    images.dedup();
    assert_eq!(
        images.len(),
        1,
        "every container runs one image: {images:?}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The one workload of `kind` whose container runs `subcommand`.
fn workload<'a>(docs: &'a [(String, Yaml)], kind: &str, subcommand: &str) -> &'a Yaml {
    let found: Vec<&Yaml> = docs
        .iter()
        .map(|(_, d)| d)
        .filter(|d| d["kind"].as_str() == Some(kind))
        .filter(|d| {
            list(&d["spec"]["template"]["spec"]["containers"])
                .iter()
                .any(|c| list(&c["args"]).first().and_then(Yaml::as_str) == Some(subcommand))
        })
        .collect();
    assert_eq!(found.len(), 1, "one {kind} running `{subcommand}`");
    found[0]
}

#[test]
fn the_workers_are_a_parallel_job_and_the_api_is_probed_where_it_listens() {
    let docs = manifests();

    // Workers: a work queue. Without `completions` the Job completes when
    // one worker has exited successfully and all have exited, which is
    // when `work` finds nothing left.
    let work = workload(&docs, "Job", "work");
    assert!(work["spec"]["parallelism"].as_i64().unwrap_or(0) > 1);
    assert!(work["spec"]["completions"].is_badvalue());
    let enqueue = workload(&docs, "Job", "crawl");
    let args: Vec<String> = list(&enqueue["spec"]["template"]["spec"]["containers"][0]["args"])
        .iter()
        .map(|a| str_of(a, "argument").to_owned())
        .collect();
    assert!(args.contains(&"--enqueue-only".to_owned()), "{args:?}");
    for job in [work, enqueue] {
        let restart = job["spec"]["template"]["spec"]["restartPolicy"].as_str();
        assert!(
            matches!(restart, Some("Never" | "OnFailure")),
            "{restart:?}"
        );
    }

    // The API: probes on /healthz at the port `serve --addr` listens on,
    // and a Service that sends its traffic there.
    let api = workload(&docs, "Deployment", "serve");
    let pod = &api["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let args: Vec<String> = list(&container["args"])
        .iter()
        .map(|a| str_of(a, "argument").to_owned())
        .collect();
    let addr: std::net::SocketAddr = flag_value(&args, "--addr").unwrap().parse().unwrap();
    assert!(
        addr.ip().is_unspecified(),
        "serve must listen on all of the pod's addresses, not {addr}"
    );
    let port_number = |port: &Yaml| -> i64 {
        port.as_i64().unwrap_or_else(|| {
            let name = str_of(port, "port");
            list(&container["ports"])
                .iter()
                .find(|p| p["name"].as_str() == Some(name))
                .and_then(|p| p["containerPort"].as_i64())
                .unwrap_or_else(|| panic!("no container port named {name}"))
        })
    };
    for probe in ["readinessProbe", "livenessProbe"] {
        let get = &container[probe]["httpGet"];
        assert_eq!(get["path"].as_str(), Some("/healthz"), "{probe}");
        assert_eq!(port_number(&get["port"]), i64::from(addr.port()), "{probe}");
    }
    let service: Vec<&Yaml> = docs
        .iter()
        .map(|(_, d)| d)
        .filter(|d| d["kind"].as_str() == Some("Service"))
        .collect();
    assert_eq!(service.len(), 1);
    let service = service[0];
    let selector = service["spec"]["selector"].as_hash().unwrap();
    let labels = api["spec"]["template"]["metadata"]["labels"]
        .as_hash()
        .unwrap();
    for (k, v) in selector {
        assert_eq!(labels.get(k), Some(v), "the Service selects the API's pods");
    }
    for port in list(&service["spec"]["ports"]) {
        assert_eq!(port_number(&port["targetPort"]), i64::from(addr.port()));
    }
}

/// The README's build command: the `cargo build` line of "Build and test".
fn readme_build_command() -> String {
    let readme = read(&root().join("README.md"));
    let section = readme
        .split("\n## Build and test\n")
        .nth(1)
        .expect("README has a \"Build and test\" section");
    let line = section
        .lines()
        .find(|l| l.starts_with("cargo build"))
        .expect("the section shows the build command");
    line.split('#').next().unwrap().trim().to_owned()
}

#[test]
fn the_container_build_runs_the_readme_build_on_the_workspace_rust_version() {
    let command = readme_build_command();
    assert!(
        command.contains("--locked") && command.contains("--release"),
        "{command}"
    );
    let dockerfile = read(&root().join("deploy/Dockerfile"));
    let runs: Vec<&str> = dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("RUN "))
        .filter(|r| r.contains("cargo"))
        .collect();
    assert_eq!(runs, [command.as_str()], "the Dockerfile's cargo command");
    // The benchmark builds the same way.
    assert!(
        read(&root().join("bench/run.sh"))
            .lines()
            .any(|l| l.trim() == command),
        "bench/run.sh runs {command}"
    );

    let cargo: toml::Table = read(&root().join("Cargo.toml")).parse().unwrap();
    let rust_version = cargo["workspace"]["package"]["rust-version"]
        .as_str()
        .unwrap();
    let from: Vec<&str> = dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("FROM "))
        .collect();
    assert_eq!(from.len(), 2, "a builder and a runtime stage: {from:?}");
    let builder = from[0];
    assert!(
        builder.starts_with(&format!("rust:{rust_version}-")) && builder.ends_with(" AS build"),
        "the builder is Rust {rust_version}: {builder}"
    );
    // Builder and runtime on the same Debian release (the binary links
    // against its glibc).
    let release = builder
        .split(' ')
        .next()
        .unwrap()
        .rsplit('-')
        .next()
        .unwrap();
    assert_eq!(from[1], format!("debian:{release}-slim"));
    assert!(
        dockerfile
            .contains("COPY --from=build /src/target/release/ecoscout /usr/local/bin/ecoscout")
    );
    let user = dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("USER "))
        .next_back()
        .expect("the image names a user");
    assert!(
        !user.starts_with("root") && !user.starts_with('0'),
        "the image runs as {user}"
    );
    // The pods run as that user.
    let uid: i64 = user.split(':').next().unwrap().parse().unwrap();
    for (file, doc) in manifests() {
        if let Some(pod) = pod_spec(&doc) {
            assert_eq!(
                pod["securityContext"]["runAsUser"].as_i64(),
                Some(uid),
                "{}",
                title(&file, &doc)
            );
        }
    }
}
