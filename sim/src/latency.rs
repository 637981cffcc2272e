//! Realistic answer latency for the simulated web.
//!
//! A [`Latency`] is a distribution of delays, written as
//! `lognormal:median=200ms,p99=2s`, `uniform:min=50ms,max=300ms`,
//! `fixed:100ms` or `none`. The delay of an answer is not drawn from a
//! random generator with state: it is the distribution's quantile at a
//! point in (0, 1) hashed from (world seed, host, path), so the same
//! request to the same world always waits the same time, whatever the
//! order requests come in. No delay exceeds [`MAX_DELAY`].

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The longest delay any answer is given: a draw beyond it (the tail of a
/// lognormal) is cut to it, and a spec whose bulk lies beyond it (a fixed
/// delay, a uniform maximum or a lognormal median) is refused.
pub const MAX_DELAY: Duration = Duration::from_secs(30);

/// The 99th percentile of the standard normal distribution.
pub const NORMAL_P99: f64 = 2.326_347_874_040_840_8;

/// How the simulated web delays each answer.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Latency {
    /// No delay (the default).
    #[default]
    None,
    /// The same delay for every answer.
    Fixed(Duration),
    /// Delays spread evenly between `min` and `max`.
    Uniform {
        /// The shortest delay.
        min: Duration,
        /// The longest delay.
        max: Duration,
    },
    /// Delays whose logarithm is normal, given by their median and 99th
    /// percentile: mu = ln(median), sigma = (ln(p99) - ln(median)) /
    /// [`NORMAL_P99`].
    LogNormal {
        /// Half the answers take less than this.
        median: Duration,
        /// 99 answers in 100 take less than this (at most [`MAX_DELAY`]
        /// is served: a longer p99 cuts the tail).
        p99: Duration,
    },
}

/// Why a latency spec was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LatencyError {
    /// The spec names no known distribution.
    #[error(
        "unknown latency distribution `{0}` (expected `none`, `fixed:DUR`, \
         `uniform:min=DUR,max=DUR` or `lognormal:median=DUR,p99=DUR`)"
    )]
    UnknownDistribution(String),
    /// A duration could not be read.
    #[error(
        "`{0}` is not a duration (write a number and `ms` or `s`, for example `200ms` or `1.5s`)"
    )]
    BadDuration(String),
    /// A parameter is not `key=DUR`, is unknown, or comes twice.
    #[error("`{distribution}` does not take `{parameter}` (it takes {expected})")]
    BadParameter {
        /// The distribution.
        distribution: &'static str,
        /// The parameter as written.
        parameter: String,
        /// What it takes.
        expected: &'static str,
    },
    /// A parameter is missing.
    #[error("`{distribution}` needs `{parameter}=DUR`")]
    MissingParameter {
        /// The distribution.
        distribution: &'static str,
        /// The missing parameter.
        parameter: &'static str,
    },
    /// A lognormal needs positive durations (their logarithms are taken).
    #[error("lognormal `{parameter}` must be more than zero")]
    NotPositive {
        /// The parameter.
        parameter: &'static str,
    },
    /// The lognormal p99 is below its median.
    #[error("lognormal p99 ({p99:?}) is below its median ({median:?})")]
    P99BelowMedian {
        /// The median.
        median: Duration,
        /// The p99.
        p99: Duration,
    },
    /// The uniform maximum is below its minimum.
    #[error("uniform max ({max:?}) is below its min ({min:?})")]
    MaxBelowMin {
        /// The minimum.
        min: Duration,
        /// The maximum.
        max: Duration,
    },
    /// A delay most answers would get is longer than [`MAX_DELAY`].
    #[error("{parameter} ({value:?}) is longer than the {max:?} any answer may wait", max = MAX_DELAY)]
    TooLong {
        /// The parameter.
        parameter: &'static str,
        /// Its value.
        value: Duration,
    },
}

impl Latency {
    /// The delay of the answer to `path` (path and query) on `host` in the
    /// world of `seed`: the same for the same three, [`MAX_DELAY`] at most.
    pub fn delay(&self, seed: u64, host: &str, path: &str) -> Duration {
        match self {
            Latency::None => Duration::ZERO,
            Latency::Fixed(d) => (*d).min(MAX_DELAY),
            _ => self.quantile(unit_draw(seed, host, path)),
        }
    }

    /// The delay at quantile `p` of the distribution (`p` in (0, 1);
    /// values outside are brought inside), [`MAX_DELAY`] at most.
    pub fn quantile(&self, p: f64) -> Duration {
        let p = if p.is_nan() {
            0.5
        } else {
            p.clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON)
        };
        let d = match *self {
            Latency::None => Duration::ZERO,
            Latency::Fixed(d) => d,
            Latency::Uniform { min, max } => min + (max - min).mul_f64(p),
            Latency::LogNormal { median, p99 } => {
                let mu = median.as_secs_f64().ln();
                let sigma = (p99.as_secs_f64().ln() - mu) / NORMAL_P99;
                let secs = (mu + sigma * inverse_normal_cdf(p)).exp();
                if secs.is_finite() && secs < MAX_DELAY.as_secs_f64() {
                    Duration::from_secs_f64(secs.max(0.0))
                } else {
                    MAX_DELAY
                }
            }
        };
        d.min(MAX_DELAY)
    }

    /// Whether answers are delayed at all.
    pub fn is_none(&self) -> bool {
        matches!(self, Latency::None) || *self == Latency::Fixed(Duration::ZERO)
    }
}

impl FromStr for Latency {
    type Err = LatencyError;

    fn from_str(spec: &str) -> Result<Latency, LatencyError> {
        let spec = spec.trim();
        let (name, rest) = match spec.split_once(':') {
            Some((name, rest)) => (name.trim(), Some(rest)),
            None => (spec, None),
        };
        match (name.to_ascii_lowercase().as_str(), rest) {
            ("none", None) => Ok(Latency::None),
            ("fixed", Some(rest)) => {
                let d = parse_duration(rest)?;
                if d > MAX_DELAY {
                    return Err(LatencyError::TooLong {
                        parameter: "fixed delay",
                        value: d,
                    });
                }
                Ok(Latency::Fixed(d))
            }
            ("uniform", Some(rest)) => {
                let [min, max] = parameters(rest, "uniform", ["min", "max"])?;
                if max < min {
                    return Err(LatencyError::MaxBelowMin { min, max });
                }
                if max > MAX_DELAY {
                    return Err(LatencyError::TooLong {
                        parameter: "uniform max",
                        value: max,
                    });
                }
                Ok(Latency::Uniform { min, max })
            }
            ("lognormal", Some(rest)) => {
                let [median, p99] = parameters(rest, "lognormal", ["median", "p99"])?;
                if median.is_zero() {
                    return Err(LatencyError::NotPositive {
                        parameter: "median",
                    });
                }
                if p99.is_zero() {
                    return Err(LatencyError::NotPositive { parameter: "p99" });
                }
                if p99 < median {
                    return Err(LatencyError::P99BelowMedian { median, p99 });
                }
                if median > MAX_DELAY {
                    return Err(LatencyError::TooLong {
                        parameter: "lognormal median",
                        value: median,
                    });
                }
                Ok(Latency::LogNormal { median, p99 })
            }
            _ => Err(LatencyError::UnknownDistribution(spec.to_owned())),
        }
    }
}

impl fmt::Display for Latency {
    /// The spec it was read from, in a canonical form [`FromStr`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Latency::None => write!(f, "none"),
            Latency::Fixed(d) => write!(f, "fixed:{}", DurationSpec(*d)),
            Latency::Uniform { min, max } => write!(
                f,
                "uniform:min={},max={}",
                DurationSpec(*min),
                DurationSpec(*max)
            ),
            Latency::LogNormal { median, p99 } => write!(
                f,
                "lognormal:median={},p99={}",
                DurationSpec(*median),
                DurationSpec(*p99)
            ),
        }
    }
}

/// A duration written as a spec writes it (`2s`, `200ms`, `0.25ms`).
struct DurationSpec(Duration);

impl fmt::Display for DurationSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = self.0.as_nanos();
        if nanos.is_multiple_of(1_000_000_000) {
            write!(f, "{}s", nanos / 1_000_000_000)
        } else if nanos.is_multiple_of(1_000_000) {
            write!(f, "{}ms", nanos / 1_000_000)
        } else {
            let frac = format!("{:06}", nanos % 1_000_000);
            write!(f, "{}.{}ms", nanos / 1_000_000, frac.trim_end_matches('0'))
        }
    }
}

/// Reads `key=DUR,key=DUR` with exactly the keys `keys`, in any order.
fn parameters<const N: usize>(
    rest: &str,
    distribution: &'static str,
    keys: [&'static str; N],
) -> Result<[Duration; N], LatencyError> {
    let expected = match distribution {
        "uniform" => "`min=DUR,max=DUR`",
        _ => "`median=DUR,p99=DUR`",
    };
    let mut values: [Option<Duration>; N] = [None; N];
    for part in rest.split(',') {
        let part = part.trim();
        let bad = || LatencyError::BadParameter {
            distribution,
            parameter: part.to_owned(),
            expected,
        };
        let (key, value) = part.split_once('=').ok_or_else(bad)?;
        let key = key.trim().to_ascii_lowercase();
        let slot = keys.iter().position(|k| *k == key).ok_or_else(bad)?;
        if values[slot].is_some() {
            return Err(bad());
        }
        values[slot] = Some(parse_duration(value)?);
    }
    let mut out = [Duration::ZERO; N];
    for (i, value) in values.into_iter().enumerate() {
        out[i] = value.ok_or(LatencyError::MissingParameter {
            distribution,
            parameter: keys[i],
        })?;
    }
    Ok(out)
}

/// Reads a duration: a decimal number (`200`, `1.5`) followed by `ms` or
/// `s`, to the nanosecond.
pub fn parse_duration(text: &str) -> Result<Duration, LatencyError> {
    let text = text.trim();
    let bad = || LatencyError::BadDuration(text.to_owned());
    let (number, nanos_per_unit) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1_000_000u128)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1_000_000_000u128)
    } else {
        return Err(bad());
    };
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || whole.len() > 12
        || frac.len() > 9
    {
        return Err(bad());
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let mut nanos = whole * nanos_per_unit;
    let mut scale = nanos_per_unit;
    for digit in frac.bytes() {
        scale /= 10;
        nanos += u128::from(digit - b'0') * scale;
    }
    let secs = u64::try_from(nanos / 1_000_000_000).map_err(|_| bad())?;
    let sub = u32::try_from(nanos % 1_000_000_000).map_err(|_| bad())?;
    Ok(Duration::new(secs, sub))
}

/// A point strictly inside (0, 1) hashed from (seed, host, path): the same
/// for the same three, spread evenly over distinct ones.
pub fn unit_draw(seed: u64, host: &str, path: &str) -> f64 {
    // FNV-1a over the seed and both strings, each prefixed by its length
    // so that ("ab", "c") and ("a", "bc") differ, then SplitMix64's
    // finaliser so that near keys land far apart.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(&seed.to_le_bytes());
    eat(&(host.len() as u64).to_le_bytes());
    eat(host.as_bytes());
    eat(&(path.len() as u64).to_le_bytes());
    eat(path.as_bytes());
    let mut x = h;
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    // The top 53 bits, centred in their cell: never 0, never 1.
    ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// The standard normal quantile (inverse CDF) at `p` in (0, 1), by
/// Acklam's rational approximation (relative error below 1.2e-9); minus or
/// plus infinity at 0 and 1, NaN outside.
pub fn inverse_normal_cdf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.024_25;
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn parses_every_distribution() {
        assert_eq!("none".parse::<Latency>().unwrap(), Latency::None);
        assert_eq!(
            "fixed:200ms".parse::<Latency>().unwrap(),
            Latency::Fixed(ms(200))
        );
        assert_eq!(
            "uniform:min=50ms,max=1.5s".parse::<Latency>().unwrap(),
            Latency::Uniform {
                min: ms(50),
                max: ms(1500)
            }
        );
        assert_eq!(
            "lognormal:median=200ms,p99=2s".parse::<Latency>().unwrap(),
            Latency::LogNormal {
                median: ms(200),
                p99: ms(2000)
            }
        );
        // Keys in any order, spaces around parts, any case of names.
        assert_eq!(
            " LogNormal: p99=2s , median=200ms "
                .parse::<Latency>()
                .unwrap(),
            Latency::LogNormal {
                median: ms(200),
                p99: ms(2000)
            }
        );
    }

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration("200ms").unwrap(), ms(200));
        assert_eq!(parse_duration("2s").unwrap(), ms(2000));
        assert_eq!(parse_duration("1.5s").unwrap(), ms(1500));
        assert_eq!(parse_duration(".5s").unwrap(), ms(500));
        assert_eq!(
            parse_duration("0.25ms").unwrap(),
            Duration::from_micros(250)
        );
        assert_eq!(parse_duration("0ms").unwrap(), Duration::ZERO);
        for bad in [
            "",
            "ms",
            "s",
            ".s",
            "200",
            "2m",
            "-1s",
            "+1s",
            "1e3ms",
            "nan s",
            "infs",
            "1.2.3s",
            "1 s",
            "1.0000000001s",
            "99999999999999s",
        ] {
            assert!(
                matches!(parse_duration(bad), Err(LatencyError::BadDuration(_))),
                "{bad:?} was read"
            );
        }
    }

    #[test]
    fn refuses_bad_specs_clearly() {
        let err = |s: &str| s.parse::<Latency>().unwrap_err();
        assert!(matches!(
            err("gamma:k=2"),
            LatencyError::UnknownDistribution(_)
        ));
        assert!(matches!(
            err("none:1s"),
            LatencyError::UnknownDistribution(_)
        ));
        assert!(matches!(err("fixed"), LatencyError::UnknownDistribution(_)));
        assert!(matches!(err(""), LatencyError::UnknownDistribution(_)));
        assert!(matches!(err("fixed:2"), LatencyError::BadDuration(_)));
        assert!(matches!(err("fixed:31s"), LatencyError::TooLong { .. }));
        assert!(matches!(
            err("lognormal:median=200ms"),
            LatencyError::MissingParameter {
                parameter: "p99",
                ..
            }
        ));
        assert!(matches!(
            err("lognormal:median=200ms,p99=2s,p99=3s"),
            LatencyError::BadParameter { .. }
        ));
        assert!(matches!(
            err("lognormal:median=200ms,p90=2s"),
            LatencyError::BadParameter { .. }
        ));
        assert!(matches!(
            err("lognormal:median=200ms;p99=2s"),
            LatencyError::BadDuration(_)
        ));
        assert!(matches!(
            err("lognormal:median=200ms,p99"),
            LatencyError::BadParameter { .. }
        ));
        assert!(matches!(
            err("lognormal:median=0ms,p99=2s"),
            LatencyError::NotPositive {
                parameter: "median"
            }
        ));
        assert!(matches!(
            err("lognormal:median=2s,p99=200ms"),
            LatencyError::P99BelowMedian { .. }
        ));
        assert!(matches!(
            err("lognormal:median=40s,p99=60s"),
            LatencyError::TooLong { .. }
        ));
        assert!(matches!(
            err("uniform:min=2s,max=1s"),
            LatencyError::MaxBelowMin { .. }
        ));
        assert!(matches!(
            err("uniform:min=1s,max=31s"),
            LatencyError::TooLong { .. }
        ));
        // The messages name what is wrong and what would be right.
        let message = err("lognormal:median=2s,p99=200ms").to_string();
        assert!(message.contains("below its median"), "{message}");
        let message = err("gauss").to_string();
        assert!(
            message.contains("lognormal:median=DUR,p99=DUR"),
            "{message}"
        );
    }

    #[test]
    fn writes_specs_it_reads_back() {
        for spec in [
            "none",
            "fixed:200ms",
            "fixed:2s",
            "fixed:0.25ms",
            "uniform:min=0s,max=1500ms",
            "lognormal:median=200ms,p99=2s",
        ] {
            let latency: Latency = spec.parse().unwrap();
            assert_eq!(latency.to_string(), spec);
        }
    }

    #[test]
    fn inverse_normal_cdf_matches_known_quantiles() {
        for (p, z) in [
            (0.5, 0.0),
            (0.99, NORMAL_P99),
            (0.975, 1.959_963_984_540_054),
            (0.841_344_746_068_542_9, 1.0),
            (0.001, -3.090_232_306_167_813_6),
            (1e-9, -5.997_807_015_007_686),
            (0.02, -2.053_748_910_631_823),
            (0.03, -1.880_793_608_151_251),
        ] {
            let got = inverse_normal_cdf(p);
            assert!(
                (got - z).abs() <= 1e-8 * z.abs().max(1.0),
                "p {p}: {got} vs {z}"
            );
        }
        assert_eq!(inverse_normal_cdf(0.0), f64::NEG_INFINITY);
        assert_eq!(inverse_normal_cdf(1.0), f64::INFINITY);
        assert!(inverse_normal_cdf(1.5).is_nan());
        assert!(inverse_normal_cdf(f64::NAN).is_nan());
    }

    #[test]
    fn lognormal_quantiles_are_the_ones_asked_for() {
        let latency: Latency = "lognormal:median=200ms,p99=2s".parse().unwrap();
        let close = |a: Duration, b: Duration| (a.as_secs_f64() - b.as_secs_f64()).abs() < 1e-6;
        assert!(close(latency.quantile(0.5), ms(200)));
        assert!(close(latency.quantile(0.99), ms(2000)));
        // The tail is cut at the cap.
        assert_eq!(latency.quantile(1.0 - 1e-15), MAX_DELAY);
        let wide: Latency = "lognormal:median=1s,p99=25s".parse().unwrap();
        assert_eq!(wide.quantile(0.999_999), MAX_DELAY);
    }

    #[test]
    fn draws_are_deterministic_and_keyed_on_all_three() {
        let latency: Latency = "lognormal:median=200ms,p99=2s".parse().unwrap();
        let a = latency.delay(7, "www.a.test", "/certs");
        assert_eq!(a, latency.delay(7, "www.a.test", "/certs"));
        assert_ne!(a, latency.delay(8, "www.a.test", "/certs"));
        assert_ne!(a, latency.delay(7, "www.b.test", "/certs"));
        assert_ne!(a, latency.delay(7, "www.a.test", "/certs?page=2"));
        assert_ne!(unit_draw(1, "ab", "c"), unit_draw(1, "a", "bc"));
        assert_eq!(Latency::None.delay(7, "www.a.test", "/"), Duration::ZERO);
        assert!(Latency::None.is_none());
        assert!(!latency.is_none());
    }

    /// The empirical `q` quantile of sorted `xs`.
    fn empirical(xs: &[f64], q: f64) -> f64 {
        xs[((xs.len() as f64 * q) as usize).min(xs.len() - 1)]
    }

    fn draws(latency: &Latency, seed: u64, n: usize) -> Vec<f64> {
        let mut xs: Vec<f64> = (0..n)
            .map(|i| {
                latency
                    .delay(seed, &format!("www.s{}.test", i % 97), &format!("/p/{i}"))
                    .as_secs_f64()
            })
            .collect();
        xs.sort_by(f64::total_cmp);
        xs
    }

    #[test]
    fn lognormal_draws_have_the_median_and_p99_asked_for() {
        let latency: Latency = "lognormal:median=200ms,p99=2s".parse().unwrap();
        let xs = draws(&latency, 1, 40_000);
        let median = empirical(&xs, 0.5);
        let p99 = empirical(&xs, 0.99);
        assert!((median / 0.2 - 1.0).abs() < 0.03, "median {median}");
        assert!((p99 / 2.0 - 1.0).abs() < 0.08, "p99 {p99}");
    }

    #[test]
    fn unit_draws_are_spread_evenly() {
        // Ten equal bins over 50,000 keys: each within 5% of a tenth.
        let mut bins = [0usize; 10];
        for i in 0..50_000 {
            let u = unit_draw(3, &format!("h{}.test", i % 13), &format!("/{i}"));
            assert!(u > 0.0 && u < 1.0);
            bins[(u * 10.0) as usize] += 1;
        }
        for count in bins {
            assert!((count as f64 / 5_000.0 - 1.0).abs() < 0.05, "{bins:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn lognormal_median_and_p99_land_near_the_spec(
            seed in any::<u64>(),
            median_ms in 10u64..1_000,
            ratio in 1.0f64..20.0,
        ) {
            let median = ms(median_ms);
            let p99 = median.mul_f64(ratio);
            let latency = Latency::LogNormal { median, p99 };
            let xs = draws(&latency, seed, 10_000);
            let got_median = empirical(&xs, 0.5);
            let got_p99 = empirical(&xs, 0.99);
            prop_assert!((got_median / median.as_secs_f64() - 1.0).abs() < 0.08,
                "median {} vs {:?}", got_median, median);
            prop_assert!((got_p99 / p99.as_secs_f64() - 1.0).abs() < 0.15,
                "p99 {} vs {:?}", got_p99, p99);
        }

        #[test]
        fn uniform_draws_stay_in_range_and_spread(
            seed in any::<u64>(),
            min_ms in 0u64..1_000,
            width_ms in 1u64..5_000,
        ) {
            let (min, max) = (ms(min_ms), ms(min_ms + width_ms));
            let latency = Latency::Uniform { min, max };
            let xs = draws(&latency, seed, 5_000);
            prop_assert!(xs.iter().all(|x| *x >= min.as_secs_f64() && *x <= max.as_secs_f64()));
            let mid = (min.as_secs_f64() + max.as_secs_f64()) / 2.0;
            prop_assert!((empirical(&xs, 0.5) - mid).abs() < 0.05 * width_ms as f64 / 1000.0);
        }

        #[test]
        fn draws_do_not_depend_on_request_order(
            seed in any::<u64>(),
            keys in prop::collection::vec(("[a-z]{1,8}\\.test", "/[a-z0-9/?=]{0,12}"), 1..40),
        ) {
            let latency = Latency::LogNormal { median: ms(200), p99: ms(2000) };
            let forward: Vec<Duration> =
                keys.iter().map(|(h, p)| latency.delay(seed, h, p)).collect();
            let mut backward: Vec<Duration> =
                keys.iter().rev().map(|(h, p)| latency.delay(seed, h, p)).collect();
            backward.reverse();
            prop_assert_eq!(forward, backward);
        }

        #[test]
        fn no_draw_exceeds_the_cap(
            seed in any::<u64>(),
            host in "[a-z]{1,12}",
            path in "/[ -~]{0,30}",
            median_ms in 1u64..30_000,
            ratio in 1.0f64..1e6,
        ) {
            let median = ms(median_ms);
            let latency = Latency::LogNormal { median, p99: median.mul_f64(ratio) };
            prop_assert!(latency.delay(seed, &host, &path) <= MAX_DELAY);
        }

        #[test]
        fn specs_round_trip(
            kind in 0u8..4,
            a in 0u64..30_000,
            b in 0u64..30_000,
            micros in 0u64..1000,
        ) {
            let (lo, hi) = (a.min(b), a.max(b));
            let latency = match kind {
                0 => Latency::None,
                1 => Latency::Fixed(ms(a) + Duration::from_micros(micros)),
                2 => Latency::Uniform { min: ms(lo), max: ms(hi) },
                _ => Latency::LogNormal { median: ms(lo + 1), p99: ms(hi + 1) },
            };
            let latency = match latency {
                Latency::Fixed(d) if d > MAX_DELAY => Latency::Fixed(MAX_DELAY),
                other => other,
            };
            prop_assert_eq!(latency.to_string().parse::<Latency>(), Ok(latency));
        }

        #[test]
        fn the_parser_never_panics(spec in "[ -~]{0,40}") {
            let _ = spec.parse::<Latency>();
        }
    }
}
