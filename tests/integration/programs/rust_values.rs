// Locals of the std types rust-gdb's pretty printers show, in the crashing
// frame, for the gdb-oracle tests of values (test_values.py).  Secrets sit
// in struct fields, HashMap and BTreeMap keys and inside a RefCell: none
// may reach the event.
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::ffi::OsString;
use std::num::NonZeroU32;
use std::path::PathBuf;
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

#[allow(dead_code)]
struct Pair(i32, String);
#[allow(dead_code)]
struct Unit;
#[allow(dead_code)]
struct Vault {
    owner: String,
    logins: Vec<Login>,
}
#[allow(dead_code)]
enum Event {
    Message(String),
    Failed { code: i32, reason: String },
}

// Edge cases in a frame of their own: nested values, long ones, Option of
// owned values, sets, a secret deep inside.
#[inline(never)]
fn edges(p: *mut i64) -> i64 {
    let maybe: Option<String> = Some(String::from("inside"));
    let boxed_opt: Option<Box<i32>> = Some(Box::new(3));
    let none_box: Option<Box<i32>> = None;
    let words: Vec<String> = vec![String::from("a"), String::from("bc")];
    let mut set: std::collections::HashSet<i32> = std::collections::HashSet::new();
    set.insert(4);
    let vault = Vault {
        owner: String::from("ops"),
        logins: vec![Login { user: String::from("x"), secret: String::from("nested-secret-77"), port: 1 }],
    };
    let msg = Event::Message(String::from("hello"));
    let failed = Event::Failed { code: 2, reason: String::from("disk") };
    let bytes: &[u8] = b"raw";
    let long_vec: Vec<u32> = (0..300).collect();
    let long_text: String = "y".repeat(250);
    let pair = Pair(1, String::from("two"));
    let unit = Unit;
    let err: Result<i32, Pair> = Err(Pair(5, String::from("bad")));
    let mut ring: VecDeque<u8> = VecDeque::with_capacity(4);
    ring.extend([1u8, 2, 3].iter());
    ring.pop_front();
    ring.extend([4u8, 5].iter());
    let dq_empty: VecDeque<String> = VecDeque::new();
    let mut tall: BTreeMap<u32, u32> = BTreeMap::new();
    for i in 0..150 {
        tall.insert(i, i * 2);
    }
    let tree_empty: BTreeSet<i32> = BTreeSet::new();
    let cells: Vec<Cell<i32>> = vec![Cell::new(1), Cell::new(2)];
    let borrowed = RefCell::new(vec![1, 2]);
    // rust-gdb's printer of RefMut fails (its value is a NonNull, not a
    // reference): gdb then shows the struct, and so do we
    let held = borrowed.borrow_mut();
    unsafe {
        *p = maybe.as_ref().map_or(0, |s| s.len()) as i64 + boxed_opt.as_ref().map_or(0, |b| **b) as i64
            + none_box.is_some() as i64 + words.len() as i64 + set.len() as i64
            + vault.logins.len() as i64 + vault.owner.len() as i64 + bytes.len() as i64
            + long_vec.len() as i64 + long_text.len() as i64 + pair.0 as i64
            + err.is_err() as i64 + std::mem::size_of_val(&unit) as i64
            + matches!(msg, Event::Message(_)) as i64 + matches!(failed, Event::Failed { .. }) as i64
            + ring.len() as i64 + dq_empty.len() as i64 + tall.len() as i64 + tree_empty.len() as i64
            + cells[0].get() as i64 + held.len() as i64;
        *p
    }
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
    let mut queue: VecDeque<i32> = VecDeque::new();
    queue.push_back(1);
    queue.push_front(0);
    let count = Cell::new(5u8);
    let vault = RefCell::new(Login { user: String::from("v"), secret: String::from("cell-secret-31"), port: 7 });
    let mut tree: BTreeMap<String, String> = BTreeMap::new();
    tree.insert(String::from("host"), String::from("db"));
    tree.insert(String::from("api_token"), String::from("tree-tok-55"));
    let ids: BTreeSet<u16> = [3u16, 1, 2].iter().cloned().collect();
    let nz = NonZeroU32::new(7).unwrap();
    let maybe_nz: Option<NonZeroU32> = NonZeroU32::new(9);
    let os = OsString::from("os text");
    let path = PathBuf::from("/tmp/x");
    unsafe {
        *p = owned.len() as i64 + text.len() as i64 + nums.len() as i64 + empty.len() as i64
            + slice.len() as i64 + *boxed as i64 + *rc as i64 + *rc2 as i64 + arc.len() as i64
            + map.len() as i64 + creds.len() as i64 + login.port as i64 + label.len() as i64
            + some.unwrap_or(0) as i64 + nothing.unwrap_or(0) as i64
            + good.clone().unwrap_or(0) as i64 + bad.clone().unwrap_or(0) as i64
            + tuple.0 as i64 + arr[0] as i64 + ch as i64 + queue.len() as i64 + count.get() as i64
            + vault.borrow().port as i64 + tree.len() as i64 + ids.len() as i64 + nz.get() as i64
            + maybe_nz.map_or(0, |n| n.get()) as i64 + os.len() as i64 + path.as_os_str().len() as i64;
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

// A B-tree whose memory lies (a hostile or corrupt process): its root
// claims a height of 24, and each of its edges leads back to itself, at
// least 2^24 paths for a walk that trusted it.  InternalNode<u64, u64> is
// repr(C): its edges follow the 192 bytes of its LeafNode.
#[inline(never)]
fn hostile(p: *mut i64) -> i64 {
    let mut cyclic: BTreeMap<u64, u64> = (0..20u64).map(|i| (i, i)).collect();
    unsafe {
        let words = &mut cyclic as *mut BTreeMap<u64, u64> as *mut usize;
        // the root's height (1 for 20 keys) and node, in whichever order
        let (h, n) = if *words < 100 { (0, 1) } else { (1, 0) };
        let node = *words.add(n) as *mut usize;
        *words.add(h) = 24;
        for e in 0..12 {
            *node.add(192 / 8 + e) = node as usize;
        }
        *p = cyclic.len() as i64;
        *p
    }
}

fn main() {
    let addr: usize = std::env::args().nth(1).map_or(0, |a| a.parse().unwrap_or(0));
    if std::env::args().nth(1).as_deref() == Some("hostile") {
        println!("{}", hostile(0 as *mut i64));
    }
    if std::env::args().nth(1).as_deref() == Some("edges") {
        println!("{}", edges(0 as *mut i64));
    }
    println!("{}", crash(addr as *mut i64, "label"));
}
