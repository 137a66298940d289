//! The `web` preset (profiles/web.yaml): nginx serving each pod's own volume.
//!
//! The probes are run against real sockets: a server that answers (even 403, as nginx does
//! for a volume without index.html) must pass them, and one that accepts connections but never
//! answers (a stopped or hung nginx, whose handshakes the kernel still completes) must fail
//! them; tests/engines/presets/web.py checks the same on nginx itself.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use common::{main_container, render_bundled, strings};
use serde_json::Value;

/// Runs a probe of the main container as the kubelet would, against 127.0.0.1:`port` (the
/// rendered port 80 replaced by `port`), as far as exec and tcpSocket probes go.
fn probe_passes(c: &Value, probe: &str, port: u16) -> bool {
    let p = &c[probe];
    if p.get("tcpSocket").is_some() {
        return TcpStream::connect_timeout(
            &format!("127.0.0.1:{port}").parse().unwrap(),
            Duration::from_secs(1),
        )
        .is_ok();
    }
    let cmd = strings(&p["exec"]["command"]);
    assert!(
        !cmd.is_empty(),
        "{probe} is neither exec nor tcpSocket: {p}"
    );
    let cmd: Vec<String> = cmd
        .iter()
        .map(|a| a.replace("127.0.0.1:80/", &format!("127.0.0.1:{port}/")))
        .collect();
    assert!(
        cmd.iter().any(|a| a.contains(&format!(":{port}/"))),
        "{cmd:?}"
    );
    let timeout = p["timeoutSeconds"].as_u64().unwrap_or(1);
    let mut child = std::process::Command::new(&cmd[0])
        .args(&cmd[1..])
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(timeout);
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st.success();
        }
        if std::time::Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A server that answers every request with `reply` (None: accepts and never answers).
fn server(reply: Option<&'static str>) -> (u16, std::thread::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        let mut held = Vec::new();
        l.set_nonblocking(false).unwrap();
        for s in l.incoming().take(4) {
            let mut s = s.unwrap();
            match reply {
                Some(r) => {
                    let mut buf = [0u8; 1024];
                    let _ = s.read(&mut buf);
                    let _ = s.write_all(r.as_bytes());
                }
                None => held.push(s),
            }
        }
    });
    (port, h)
}

#[test]
fn probes_pass_on_any_http_answer_and_fail_on_a_hung_server() {
    let items = render_bundled(
        "web",
        &common::bundled_text("web"),
        &common::options(None, None),
    );
    let c = main_container(&items);
    for probe in ["readinessProbe", "livenessProbe"] {
        let (port, _h) = server(Some(
            "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        ));
        assert!(
            probe_passes(c, probe, port),
            "{probe} fails on a 403 answer"
        );
        let (port, _h) = server(None);
        assert!(
            !probe_passes(c, probe, port),
            "{probe} passes on a server that never answers"
        );
        // Nothing listening.
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        assert!(
            !probe_passes(c, probe, port),
            "{probe} passes with nothing listening"
        );
    }
}
