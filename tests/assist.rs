//! `sts-gen render` renders the heaviest template on the thread that compiled the
//! templates (render::Assistant) while the main thread renders the others: the objects,
//! their order and the first error must be those of a render on one thread.

mod common;

use sts_gen::render::{Assistant, Renderer};
use sts_gen::{model, profile};

/// Every bundled profile, with render-time secrets replaced by literals.
fn bundled() -> Vec<(String, String)> {
    common::bundled_names()
        .into_iter()
        .map(|name| {
            let mut text = common::bundled_text(&name);
            while let Some(at) = text.find("{fromEnv: ") {
                let end = at + text[at..].find('}').unwrap() + 1;
                text.replace_range(at..end, "{value: assist-test-value}");
            }
            (name, text)
        })
        .collect()
}

/// Runs `f` with an assistant served by a second thread.
fn with_assistant<R>(renderer: &Renderer, f: impl FnOnce(&Assistant) -> R) -> R {
    let assistant = Assistant::default();
    assistant.set_parallel(true);
    std::thread::scope(|scope| {
        let _stop = assistant.stop_on_drop();
        scope.spawn(|| assistant.serve(renderer));
        f(&assistant)
    })
}

#[test]
fn assisted_render_equals_a_single_thread_render() {
    let renderer = Renderer::new(None).unwrap();
    let opts = common::options(None, None);
    for (name, text) in bundled() {
        let loaded =
            profile::load_bytes(&format!("{name}.yaml"), text.as_bytes(), &common::profiles_dir())
                .unwrap();
        let alone = sts_gen::build(&loaded, &opts, &renderer).unwrap();
        let (assisted, served) = with_assistant(&renderer, |assistant| {
            let docs = sts_gen::build_reporting_with(
                &loaded,
                &opts,
                || Ok((&renderer, Some(assistant))),
                &mut Vec::new(),
            )
            .unwrap();
            (docs, assistant.served())
        });
        // Every bundled profile renders its StatefulSet template at least once (one per
        // node set) on the other thread.
        assert!(served >= 1, "{name}: the assistant rendered nothing");
        let values = |docs: &[sts_gen::check::Doc]| {
            docs.iter()
                .map(|d| (d.template.clone(), d.value.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(values(&assisted), values(&alone), "{name}");
    }
}

#[test]
fn assisted_render_reports_the_first_template_error() {
    // Two broken templates: the one rendered first in template order (a.yaml.j2) is
    // reported whichever thread renders which.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml.j2"), "{{ app.nosuch.field }}\n").unwrap();
    std::fs::write(
        dir.path().join("zz-long.yaml.j2"),
        format!("{{{{ app.missing.too }}}}\n{{# {} #}}\n", "x".repeat(20_000)),
    )
    .unwrap();
    let renderer = Renderer::new(Some(dir.path())).unwrap();
    let (_, text) = &bundled()[0];
    let loaded = profile::load_bytes("p.yaml", text.as_bytes(), &common::profiles_dir()).unwrap();
    let model = model::build(&loaded, &common::options(None, None)).unwrap();
    let alone = renderer.render(&model).unwrap_err();
    let assisted = with_assistant(&renderer, |assistant| {
        let result = renderer.render_with(&model, Some(assistant)).unwrap_err();
        assert_eq!(assistant.served(), 1, "the long template went to the assistant");
        result
    });
    assert_eq!(assisted.template, "a.yaml.j2");
    assert_eq!(assisted.to_string(), alone.to_string());
}
