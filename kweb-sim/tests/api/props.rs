//! Property test: random methods, paths, headers and bodies against the
//! in-process simulator over real TCP always get a kweb-shaped answer
//! (HTTP/1.0 status line, a known content type, a body consistent with it,
//! `Content-Length` equal to the body length, connection closed) within a
//! bounded time.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

use kweb_sim::{Application, Config};
use proptest::prelude::*;

fn server() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let config = Config {
                    bind: SocketAddr::from(([127, 0, 0, 1], 0)),
                    seed: Some(1),
                    seed_images: vec!["cirros.qcow2".into(), "boot.iso".into()],
                    strict: true,
                    ..Config::default()
                };
                let app = Application::build(config).await.expect("build");
                tx.send(app.local_addr().expect("addr")).expect("send addr");
                let _ = app.run_until_stopped().await;
            });
        });
        rx.recv().expect("server address")
    })
}

const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "text/html; charset=UTF-8",
    "text/plain",
    "text/javascript; charset=UTF-8",
    "application/octet-stream",
    "text/html;charset=utf-8",
];

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("GET".to_owned()),
        Just("POST".to_owned()),
        Just("DELETE".to_owned()),
        Just("UPDATE".to_owned()),
        Just("update".to_owned()),
        Just("HEAD".to_owned()),
        Just("PUT".to_owned()),
        Just("PATCH".to_owned()),
        Just("OPTIONS".to_owned()),
        "[A-Za-z]{1,8}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    let known = prop_oneof![
        Just("/vms"),
        Just("/vms/test"),
        Just("/vms/vmp"),
        Just("/vms/vmp/start"),
        Just("/vms/vmp/stop"),
        Just("/host"),
        Just("/hosts"),
        Just("/hosts/testlv/switch"),
        Just("/hosts/x/enable"),
        Just("/networks"),
        Just("/networks/default"),
        Just("/networks/np"),
        Just("/pools"),
        Just("/pools/pp"),
        Just("/images"),
        Just("/images/cirros.qcow2"),
        Just("/isos"),
        Just("/plans"),
        Just("/plans/p"),
        Just("/plan/p/stop"),
        Just("/kubes"),
        Just("/kubes/k"),
        Just("/kubes/k/kubeconfig"),
        Just("/kubeconfig/kubeconfig.k"),
        Just("/snapshots/vmp"),
        Just("/snapshots/vmp/revert"),
        Just("/disks/vmp"),
        Just("/nics/vmp"),
        Just("/vmprofiles"),
        Just("/kubeprofiles"),
        Just("/kubeprofiles/x"),
        Just("/containers"),
        Just("/repos"),
        Just("/products"),
        Just("/static/js/kcli.js"),
        Just("/"),
        Just("/vmstable"),
        Just("/kubecreateform/k3s"),
        Just("/vmconsole/test"),
        Just("/_sim/reset"),
    ]
    .prop_map(str::to_owned);
    prop_oneof![
        4 => known,
        1 => "(/[a-zA-Z0-9%._~'-]{0,12}){1,4}",
        1 => "/vms/[^/?#\\s]{1,10}",
    ]
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("application/json".to_owned())),
        Just(Some("application/json; charset=utf-8".to_owned())),
        Just(Some("application/x-www-form-urlencoded".to_owned())),
        Just(Some("multipart/form-data; boundary=XyZ".to_owned())),
        Just(Some("multipart/form-data".to_owned())),
        Just(Some("text/plain".to_owned())),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        Just(br#"{"name": "vmp", "profile": "kvirt", "disks": [1]}"#.to_vec()),
        Just(
            br#"{"network": "np", "cidr": "10.77.0.0/24", "dhcp": true, "isolated": false}"#
                .to_vec()
        ),
        Just(br#"{"snapshot": "s1"}"#.to_vec()),
        Just(
            br#"{"type": "k3s", "cluster": "k", "image": "cirros.qcow2", "cloudinit": false}"#
                .to_vec()
        ),
        Just(b"name=vmp&profile=kvirt&parameters[memory]=768".to_vec()),
        Just(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nvmp\r\n--XyZ--\r\n"
                .to_vec()
        ),
        "\\PC{0,64}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..256),
        Just(vec![b' '; 102_401]),
    ]
}

fn exchange(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s.write_all(request).expect("write");
    let mut out = Vec::new();
    s.read_to_end(&mut out)
        .expect("the server answers and closes within 10 s");
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_request_gets_a_kweb_shaped_answer(
        method in method(),
        path in path(),
        query in prop_oneof![Just(String::new()), "\\?[a-z=&]{0,10}"],
        ct in content_type(),
        body in body(),
        chunked in any::<bool>(),
        version in prop_oneof![Just("HTTP/1.1"), Just("HTTP/1.0")],
    ) {
        let addr = server();
        let mut req = format!("{method} {path}{query} {version}\r\nHost: 127.0.0.1:18000\r\n").into_bytes();
        if let Some(ct) = &ct {
            req.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        if chunked && !body.is_empty() {
            req.extend_from_slice(format!("Transfer-Encoding: chunked\r\n\r\n{:x}\r\n", body.len()).as_bytes());
            req.extend_from_slice(&body);
            req.extend_from_slice(b"\r\n0\r\n\r\n");
        } else {
            req.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
            req.extend_from_slice(&body);
        }
        let out = exchange(addr, &req);
        let split = out.windows(4).position(|w| w == b"\r\n\r\n");
        prop_assert!(split.is_some(), "no header end in {:?}", String::from_utf8_lossy(&out));
        let split = split.unwrap_or_default();
        let head = String::from_utf8_lossy(&out[..split]).into_owned();
        let resp_body = &out[split + 4..];
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        prop_assert!(status_line.starts_with("HTTP/1.0 "), "status line {status_line:?}");
        let code: u16 = status_line.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        prop_assert!((200..600).contains(&code), "status {code}");
        let headers: Vec<(&str, &str)> = lines.filter_map(|l| l.split_once(": ")).collect();
        let get = |n: &str| headers.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
        let ctype = get("Content-Type").unwrap_or("");
        prop_assert!(CONTENT_TYPES.contains(&ctype), "content type {ctype:?}");
        let length: usize = get("Content-Length").and_then(|l| l.parse().ok()).unwrap_or(usize::MAX);
        if method.eq_ignore_ascii_case("HEAD") {
            prop_assert!(resp_body.is_empty());
        } else {
            prop_assert_eq!(length, resp_body.len());
            match ctype {
                "application/json" => {
                    prop_assert!(serde_json::from_slice::<serde_json::Value>(resp_body).is_ok(), "JSON body {:?}", String::from_utf8_lossy(resp_body));
                    prop_assert!(resp_body.is_ascii(), "ensure_ascii");
                }
                "text/plain" => prop_assert_eq!(resp_body, b"A server error occurred.  Please contact the administrator.".as_slice()),
                _ => prop_assert!(std::str::from_utf8(resp_body).is_ok()),
            }
            if code == 405 {
                prop_assert!(String::from_utf8_lossy(resp_body).contains("<title>Error: "));
            }
        }
    }
}
