//! The HTML report, rendered in headless Chromium: the charts are drawn.
//!
//! Needs Debian's `chromium` package; `.ci/run` installs it and runs this
//! test (`cargo test -p ecoscout --test report_browser -- --ignored`).

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::ecoscout;

/// Pixels of a PNG whose colour is within 12 of `rgb` in every channel.
fn count_colour(png_bytes: &[u8], rgb: [u8; 3]) -> usize {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    buf[..info.buffer_size()]
        .chunks(channels)
        .filter(|p| p.len() >= 3 && (0..3).all(|i| p[i].abs_diff(rgb[i]) <= 12))
        .count()
}

#[test]
#[ignore = "needs Debian's chromium; .ci/run installs it and runs this test"]
fn the_html_report_draws_its_charts_in_a_browser() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("chromium is not installed: apt-get install chromium");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap().to_owned();
    let (_runtime, world) = common::start_world(tmp.path(), 40, 31);
    let db = format!("{dir}/db");
    common::crawl(&dir, &db);
    drop(world);
    let report = format!("{dir}/report.html");
    let out = ecoscout(&[
        "report", "--db", &db, "--runs", "all", "--format", "html", "-o", &report,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(
        !html.contains("http://") || !html.contains("<script src"),
        "the report must not load anything"
    );

    let shot = format!("{dir}/shot.png");
    let profile = format!("{dir}/chromium-profile");
    let status = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            &format!("--user-data-dir={profile}"),
            &format!("--screenshot={shot}"),
            "--window-size=1200,1600",
            &format!("file://{report}"),
        ])
        .output()
        .unwrap();
    assert!(
        std::path::Path::new(&shot).exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    // Tier bars: tier A green and tier D grey appear in any world of 40.
    let green = count_colour(&png, [0x1a, 0x7f, 0x37]);
    let grey = count_colour(&png, [0x9e, 0x9e, 0x9e]);
    assert!(
        green > 300 && grey > 300,
        "tier chart not drawn: green {green}, grey {grey}"
    );
    // Trend chart: the first line colour.
    let blue = count_colour(&png, [0x09, 0x69, 0xda]);
    assert!(blue > 20, "trend chart not drawn: {blue} pixels");
}
