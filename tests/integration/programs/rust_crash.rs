// A NULL dereference in Rust, three calls deep: the report names Rust
// functions as gdb does ("rust_crash::credit", no hash) with files and
// lines, and shows &str and String locals as text.
struct Account {
    id: u32,
    balance: i64,
}

#[inline(never)]
fn credit(acct: *mut Account, amount: i64) {
    unsafe {
        (*acct).balance += amount;
    }
}

#[inline(never)]
fn settle(acct: *mut Account, label: &str, rounds: i64) {
    let note = format!("settling {} for {}", rounds, label);
    for i in 0..rounds {
        credit(acct, i * 10);
    }
    println!("{}", note);
}

fn main() {
    // from argv, so no optimizer can prove it NULL
    let addr: usize = std::env::args().nth(1).map_or(0, |a| a.parse().unwrap_or(0));
    let acct = addr as *mut Account;
    settle(acct, "monthly fees", 3);
    println!("{}", unsafe { (*acct).id });
}
