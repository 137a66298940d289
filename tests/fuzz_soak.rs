//! A mutation soak of the `profile` fuzz target's pipeline (load → model → render → check →
//! emit) without libFuzzer, for machines where `cargo fuzz` cannot build in time: inputs from
//! `fuzz/corpus/profile/` (see `fuzz/seed.sh`) or, without it, the example profiles, the bad
//! inputs and the fuzz regressions, mutated at random (bytes flipped, inserted, deleted;
//! dictionary tokens from `fuzz/profile.dict` inserted; two inputs spliced). Every outcome must be
//! `Ok` or `Err` (a panic fails the run) within `STS_GEN_SOAK_SLOW_SECS` (default 5 s).
//! Findings are written to `target/fuzz-soak/` for `tests/fuzz_regressions/`.
//!
//! Ignored by default: `STS_GEN_SOAK_SECS=1800 cargo test --release --test fuzz_soak -- --ignored --nocapture`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sts_gen::render::Renderer;

/// xorshift64*: deterministic from the seed, so a run can be repeated.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn files_in(dir: &Path, ext: Option<&str>) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && ext.is_none_or(|x| p.extension().is_some_and(|e| e == x)))
        .collect();
    out.sort();
    out
}

fn seeds(root: &Path) -> Vec<Vec<u8>> {
    let mut paths = files_in(&root.join("fuzz/corpus/profile"), None);
    if paths.is_empty() {
        for dir in ["profiles", "tests/bad", "tests/fuzz_regressions"] {
            paths.extend(files_in(&root.join(dir), Some("yaml")));
        }
    }
    paths
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .filter(|b| b.len() <= 8192)
        .collect()
}

/// The dictionary's tokens (`"..."` lines of fuzz/profile.dict, escapes `\n` and `\"` only).
fn dictionary(root: &Path) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(root.join("fuzz/profile.dict")).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let start = l.find('"')? + 1;
            let end = l.rfind('"')?;
            (end > start).then(|| {
                l[start..end]
                    .replace("\\n", "\n")
                    .replace("\\\"", "\"")
                    .into_bytes()
            })
        })
        .collect()
}

fn mutate(rng: &mut Rng, input: &[u8], corpus: &[Vec<u8>], dict: &[Vec<u8>]) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(7) {
            0 if !data.is_empty() => {
                let i = at.min(data.len() - 1);
                data[i] ^= 1 << rng.below(8);
            }
            1 => data.insert(at, rng.next() as u8),
            2 if !data.is_empty() => {
                let n = rng.below(16).min(data.len() - at.min(data.len()));
                data.drain(at.min(data.len())..at.min(data.len()) + n);
            }
            3 | 4 if !dict.is_empty() => {
                let token = &dict[rng.below(dict.len())];
                data.splice(at..at, token.iter().copied());
            }
            5 if !corpus.is_empty() => {
                let other = &corpus[rng.below(corpus.len())];
                let from = rng.below(other.len() + 1);
                let n = rng.below(256).min(other.len() - from);
                data.splice(at..at, other[from..from + n].iter().copied());
            }
            _ => {
                // Repeat a slice: grows lists, nesting and aliases.
                if !data.is_empty() {
                    let from = rng.below(data.len());
                    let n = rng.below(64).min(data.len() - from);
                    let piece = data[from..from + n].to_vec();
                    data.splice(at..at, piece);
                }
            }
        }
    }
    data.truncate(8192);
    data
}

/// The fuzz target's body.
fn run(renderer: &Renderer, data: &[u8]) {
    let Ok(loaded) = sts_gen::profile::load_bytes("fuzz.yaml", data, Path::new("/nonexistent"))
    else {
        return;
    };
    let Ok(docs) = sts_gen::build(&loaded, &sts_gen::model::Options::default(), renderer) else {
        return;
    };
    std::hint::black_box((sts_gen::emit::to_yaml(&docs), sts_gen::emit::to_json(&docs)));
}

fn env_secs(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
#[ignore = "a long soak; run it by name (see the module docs)"]
fn soak_the_profile_pipeline() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let total = Duration::from_secs(env_secs("STS_GEN_SOAK_SECS", 60));
    let slow = Duration::from_secs(env_secs("STS_GEN_SOAK_SLOW_SECS", 5));
    let mut rng = Rng(env_secs("STS_GEN_SOAK_SEED", 0x5eed_1234_abcd) | 1);
    let renderer = Renderer::new(None).expect("the embedded templates compile");
    let mut corpus = seeds(root);
    assert!(!corpus.is_empty(), "no seed inputs");
    let dict = dictionary(root);
    let out = root.join("target/fuzz-soak");
    std::fs::create_dir_all(&out).unwrap();
    // Panics are caught and counted; their default message would flood the log.
    std::panic::set_hook(Box::new(|_| {}));
    let start = Instant::now();
    let (mut execs, mut oks, mut panics, mut slows) = (0u64, 0u64, 0u64, 0u64);
    let mut last_report = Instant::now();
    while start.elapsed() < total {
        let parent = corpus[rng.below(corpus.len())].clone();
        let data = mutate(&mut rng, &parent, &corpus, &dict);
        let t = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let loaded =
                sts_gen::profile::load_bytes("fuzz.yaml", &data, Path::new("/nonexistent"));
            let ok = loaded.is_ok();
            run(&renderer, &data);
            ok
        }));
        let took = t.elapsed();
        execs += 1;
        let name = format!("{:016x}", rng.next());
        match outcome {
            Err(_) => {
                panics += 1;
                std::fs::write(out.join(format!("panic-{name}.yaml")), &data).unwrap();
            }
            Ok(loaded) => {
                if took > slow {
                    slows += 1;
                    std::fs::write(out.join(format!("slow-{name}.yaml")), &data).unwrap();
                }
                // Inputs that still load are kept as parents: deeper mutations of valid shapes.
                if loaded && corpus.len() < 20_000 && rng.below(8) == 0 {
                    oks += 1;
                    corpus.push(data);
                }
            }
        }
        if last_report.elapsed() > Duration::from_secs(60) {
            last_report = Instant::now();
            eprintln!(
                "soak: {:>5} s, {execs} runs, corpus {}, {oks} kept, {panics} panics, {slows} slow",
                start.elapsed().as_secs(),
                corpus.len()
            );
        }
    }
    let _ = std::panic::take_hook();
    eprintln!(
        "soak done: {} s, {execs} runs, corpus {}, {panics} panics, {slows} slower than {slow:?} (inputs in {})",
        start.elapsed().as_secs(),
        corpus.len(),
        out.display()
    );
    assert_eq!(panics, 0, "panicking inputs saved in {}", out.display());
    assert_eq!(slows, 0, "slow inputs saved in {}", out.display());
}
