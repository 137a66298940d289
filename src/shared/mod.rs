//! Small helpers every stage uses: Kubernetes name and quantity rules ([`names`]), the
//! text of an I/O error, and the JSON merge that `podTemplate` and raw containers use.
//!
//! They depend on no stage, so any stage may use them without an import cycle.

/// The error type users see.
pub mod error;
/// Kubernetes name, path and quantity rules.
pub mod names;

use serde_json::Value as Json;

/// A short, stable reason for an I/O error (no OS error codes).
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Merges `overlay` into `base`: mappings by key, lists of named items by `name`, anything
/// else replaced (the profile's merge rule).
pub fn merge(base: &mut Json, overlay: &Json) {
    match (base, overlay) {
        (Json::Object(b), Json::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Json::Array(b), Json::Array(o)) if is_named_list(b) && is_named_list(o) => {
            for item in o {
                let name = item.get("name");
                match b.iter_mut().find(|x| x.get("name") == name) {
                    Some(existing) => merge(existing, item),
                    None => b.push(item.clone()),
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

fn is_named_list(items: &[Json]) -> bool {
    !items.is_empty()
        && items
            .iter()
            .all(|i| i.get("name").is_some_and(Json::is_string))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_by_key_and_by_name() {
        let mut base = json!({"a": 1, "c": [{"name": "x", "v": 1}, {"name": "y"}], "l": [1, 2]});
        merge(
            &mut base,
            &json!({"b": 2, "c": [{"name": "x", "v": 2}, {"name": "z"}], "l": [3]}),
        );
        assert_eq!(
            base,
            json!({"a": 1, "c": [{"name": "x", "v": 2}, {"name": "y"}, {"name": "z"}], "l": [3], "b": 2})
        );
    }

    #[test]
    fn io_reasons_are_stable() {
        let e = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(io_reason(&e), "no such file");
        let e = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert_eq!(io_reason(&e), "permission denied");
    }
}
