// Locals of the std types rust-gdb's pretty printers show, in the crashing
// frame, for the gdb-oracle tests of values (test_values.py).  Secrets sit
// in struct fields and HashMap keys: none may reach the event.
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

#[allow(dead_code)]
struct Login {
    user: String,
    secret: String,
    port: u16,
}

#[allow(dead_code)]
enum Shape {
    Circle(f64),
    Rect { w: u32, h: u32 },
    Empty,
}

#[inline(never)]
fn crash(p: *mut i64, label: &str) -> i64 {
    let owned: String = String::from("owned text");
    let text: &str = "borrowed";
    let nums: Vec<i32> = vec![1, 2, 3];
    let empty: Vec<u8> = Vec::new();
    let slice: &[i32] = &nums[1..];
    let some: Option<i32> = Some(7);
    let nothing: Option<i32> = None;
    let good: Result<i32, String> = Ok(1);
    let bad: Result<i32, String> = Err(String::from("nope"));
    let boxed: Box<i32> = Box::new(9);
    let rc: Rc<i32> = Rc::new(10);
    let rc2 = rc.clone();
    let arc: Arc<String> = Arc::new(String::from("shared"));
    let mut map: HashMap<String, i32> = HashMap::new();
    map.insert(String::from("k"), 1);
    let mut creds: HashMap<String, String> = HashMap::new();
    creds.insert(String::from("api_token"), String::from("tok-xyz-987"));
    let login = Login { user: String::from("ops"), secret: String::from("s3cr3t-pass"), port: 5432 };
    let circle = Shape::Circle(1.5);
    let rect = Shape::Rect { w: 2, h: 3 };
    let void = Shape::Empty;
    let tuple = (1u8, 'x', true);
    let arr = [1u16, 2, 3];
    let ch = 'é';
    unsafe {
        *p = owned.len() as i64 + text.len() as i64 + nums.len() as i64 + empty.len() as i64
            + slice.len() as i64 + *boxed as i64 + *rc as i64 + *rc2 as i64 + arc.len() as i64
            + map.len() as i64 + creds.len() as i64 + login.port as i64 + label.len() as i64
            + some.unwrap_or(0) as i64 + nothing.unwrap_or(0) as i64
            + good.clone().unwrap_or(0) as i64 + bad.clone().unwrap_or(0) as i64
            + tuple.0 as i64 + arr[0] as i64 + ch as i64;
        *p + shape_size(&circle) + shape_size(&rect) + shape_size(&void)
    }
}

fn shape_size(s: &Shape) -> i64 {
    match s {
        Shape::Circle(r) => *r as i64,
        Shape::Rect { w, h } => (*w * *h) as i64,
        Shape::Empty => 0,
    }
}

fn main() {
    let addr: usize = std::env::args().nth(1).map_or(0, |a| a.parse().unwrap_or(0));
    println!("{}", crash(addr as *mut i64, "label"));
}
