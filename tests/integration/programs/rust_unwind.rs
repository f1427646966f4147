// Rust panics with rustc's default strategy (panic = "unwind"): no signal,
// the shim sees them where they start unwinding.  The lines marked PANICS
// are where the tests expect the first in_app frame.
use std::panic;
use std::thread;

struct Config {
    path: String,
    retries: u32,
}

#[inline(never)]
fn load_config(path: &str) -> Config {
    let file = std::fs::File::open(path).map(|_| 1u32);
    let retries = file.expect("config must exist"); // PANICS: main
    Config { path: path.to_string(), retries }
}

#[inline(never)]
fn pick(items: &[u32], index: usize) -> u32 {
    let scale = 10;
    items[index] * scale // PANICS: thread
}

// A worker that indexes past the end of its Vec: the thread dies, the
// program goes on.  "small": on the smallest stack Rust allows.
fn worker_dies(name: Option<&str>) {
    let spawn = |b: thread::Builder| b.spawn(|| pick(&vec![1, 2], 5)).unwrap();
    let builder = match name {
        Some("small") => thread::Builder::new().stack_size(16 * 1024),
        Some(n) => thread::Builder::new().name(n.into()),
        None => thread::Builder::new(),
    };
    let result = spawn(builder).join();
    println!("worker ended: {}", if result.is_err() { "panicked" } else { "ok" });
}

// catch_unwind in a loop: prints the time per panic (the shim's cost).
fn catch_loop(n: usize) {
    let items = vec![1, 2];
    let start = std::time::Instant::now();
    let mut caught = 0;
    for i in 0..n {
        if panic::catch_unwind(|| pick(&items, 5 + i % 3)).is_err() {
            caught += 1;
        }
    }
    let us = start.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!("caught {} of {} panics, {:.2} us per panic", caught, n, us);
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let n: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
    match mode.as_str() {
        "thread" => worker_dies(None),
        "named" => worker_dies(Some("ledger-writer-thread")),
        "small" => worker_dies(Some("small")),
        "loop" => catch_loop(n),
        "silent" => {
            panic::set_hook(Box::new(|_| {}));
            pick(&[1], 3);
        }
        "silent_any" => {
            panic::set_hook(Box::new(|_| {}));
            panic::panic_any(42u32); // PANICS: any
        }
        "resume" => {
            let r = thread::spawn(|| pick(&[1], 7)).join();
            if let Err(payload) = r {
                panic::resume_unwind(payload);
            }
        }
        _ => {
            let c = load_config("/nonexistent/booboo/app.toml");
            println!("{} {}", c.path, c.retries);
        }
    }
}
