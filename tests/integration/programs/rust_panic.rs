// A Rust panic in a program built with panic = "abort": a SIGABRT whose
// stack runs through the standard library's panic machinery.
#[inline(never)]
fn parse_amount(s: &str) -> u32 {
    s.parse().expect("amount must be a number")
}

fn main() {
    let arg = std::env::args().nth(1).unwrap_or_else(|| "twelve".to_string());
    println!("{}", parse_amount(&arg));
}
