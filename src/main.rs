mod profile;
fn main() {}
