//! Wire-level fidelity (`kweb-reference.md` §2, §4) checked on raw bytes
//! against the captured exchanges.

use crate::support::{call, form, raw, raw_bytes, spawn_app};

#[tokio::test]
async fn json_response_has_http10_status_and_kweb_header_order() {
    let app = spawn_app().await;
    let r = call(app.addr, "GET", "/host", None).await;
    assert_eq!(r.status_line, "HTTP/1.0 200 OK");
    assert_eq!(
        r.header_names(),
        vec!["Date", "Server", "Content-Type", "Content-Length"]
    );
    assert_eq!(r.header("Server"), Some("WSGIServer/0.2 CPython/3.11.7"));
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    // GET_host.txt with the three seeded 1 GiB volumes.
    assert_eq!(
        r.text(),
        r#"{"connection": "test:///default", "host": "vm", "vms_running": 1, "cpus_total": 8, "cpus_used": 2, "memory_used": 2048, "memory_total": 3072, "storage": ["storage: default-pool, type: dir, path: /default-pool, used_space: 3.0GB, available_space: 97.0GB"], "networks": ["name: eth1, type: bridged", "name: default, type: routed, cidr: 192.168.122.0/24, dhcp: True"]}"#
    );
}

#[tokio::test]
async fn unknown_path_is_the_bottle_page_with_the_host_header_url() {
    let app = spawn_app().await;
    let r = raw(
        app.addr,
        b"GET /nonexistent HTTP/1.1\r\nHost: 127.0.0.1:18000\r\n\r\n",
    )
    .await;
    let expected = std::fs::read("tests/fixtures/GET_nonexistent.body").expect("fixture");
    assert_eq!(r.status_line, "HTTP/1.0 404 Not Found");
    assert_eq!(
        r.header_names(),
        vec!["Date", "Server", "Content-Length", "Content-Type"]
    );
    assert_eq!(r.header("Content-Length"), Some("749"));
    assert_eq!(r.body, expected);
}

#[tokio::test]
async fn method_not_allowed_lists_allow_after_server() {
    let app = spawn_app().await;
    let r = raw(
        app.addr,
        b"OPTIONS /vms HTTP/1.1\r\nHost: 127.0.0.1:18000\r\n\r\n",
    )
    .await;
    assert_eq!(r.status_line, "HTTP/1.0 405 Method Not Allowed");
    assert_eq!(
        r.header_names(),
        vec!["Date", "Server", "Allow", "Content-Length", "Content-Type"]
    );
    assert_eq!(r.header("Allow"), Some("GET,POST"));
    assert_eq!(r.header("Content-Length"), Some("743"));
    let put = call(app.addr, "PUT", "/networks/default", None).await;
    assert_eq!(put.header("Allow"), Some("DELETE,UPDATE"));
}

#[tokio::test]
async fn head_has_get_headers_and_no_body() {
    let app = spawn_app().await;
    let get = call(app.addr, "GET", "/vms", None).await;
    let head = call(app.addr, "HEAD", "/vms", None).await;
    assert_eq!(head.status_line, "HTTP/1.0 200 OK");
    assert_eq!(head.header("Content-Length"), get.header("Content-Length"));
    assert!(head.body.is_empty());
}

#[tokio::test]
async fn http10_requests_and_chunked_bodies_are_accepted() {
    let app = spawn_app().await;
    let r = raw(app.addr, b"GET /pools HTTP/1.0\r\n\r\n").await;
    assert_eq!(r.status_line, "HTTP/1.0 200 OK");
    assert_eq!(
        r.text(),
        r#"{"pools": [["default-pool", "/default-pool"]]}"#
    );
    let body = r#"{"network":"n1","cidr":"10.1.0.0/24","dhcp":true,"isolated":false}"#;
    let req = format!(
        "POST /networks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    let r = raw(app.addr, req.as_bytes()).await;
    assert_eq!(r.text(), r#"{"result": "success"}"#);
}

#[tokio::test]
async fn bodies_follow_the_json_or_forms_rule() {
    let app = spawn_app().await;
    let bad = call(app.addr, "POST", "/vms", Some(r#"{"name":"#)).await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().contains("<pre>Invalid JSON</pre>"));
    let empty = call(app.addr, "POST", "/vms", Some("[]")).await;
    assert_eq!(empty.status(), 400);
    assert_eq!(
        empty.text(),
        r#"{"result": "failure", "reason": "Invalid Data"}"#
    );
    assert_eq!(empty.header("Content-Length"), Some("47"));
    let array = call(app.addr, "POST", "/vms", Some(r#"["name"]"#)).await;
    assert_eq!(array.status(), 500);
    let no_ct = raw(
        app.addr,
        b"POST /vms HTTP/1.1\r\nHost: x\r\nContent-Length: 13\r\n\r\n{\"name\":\"vm\"}",
    )
    .await;
    assert_eq!(no_ct.status(), 400);
    let missing_profile = call(app.addr, "POST", "/vms", Some(r#"{"name":"vmx"}"#)).await;
    assert_eq!(missing_profile.status(), 500);
    let too_big = format!(r#"{{"name": "{}"}}"#, "x".repeat(102_400));
    let r = call(app.addr, "POST", "/vms", Some(&too_big)).await;
    assert_eq!(r.status_line, "HTTP/1.0 413 Request Entity Too Large");
    assert_eq!(r.header("Content-Length"), Some("760"));
    let brackets = form(
        app.addr,
        "POST",
        "/vms",
        "name=vm8&profile=kvirt&parameters%5Bnumcpus%5D=3&parameters[memory]=768",
    )
    .await;
    assert_eq!(brackets.text(), r#"{"result": "success", "vm": "vm8"}"#);
    let info = call(app.addr, "GET", "/vms/vm8", None).await.json();
    assert_eq!(info["numcpus"], 3);
    assert_eq!(info["memory"], 768);
}

#[tokio::test]
async fn arbitrary_methods_and_lower_case_update_work() {
    let app = spawn_app().await;
    let r = call(
        app.addr,
        "update",
        "/vms/nosuch",
        Some(r#"{"memory": 1024}"#),
    )
    .await;
    assert_eq!(r.text(), r#"{"result": "success"}"#);
    let foo = call(app.addr, "FOO", "/vms", None).await;
    assert_eq!(foo.status(), 405);
    assert_eq!(foo.header("Allow"), Some("GET,POST"));
    let e5 = call(app.addr, "UPDATE", "/vms/test", Some(r#"{"dns": true}"#)).await;
    assert_eq!(e5.status_line, "HTTP/1.0 200 OK");
    assert_eq!(e5.header("Content-Length"), Some("0"));
    assert_eq!(e5.header("Content-Type"), Some("text/html; charset=UTF-8"));
}

#[tokio::test]
async fn malformed_request_line_gets_the_http_server_400() {
    let app = spawn_app().await;
    let bytes = raw_bytes(app.addr, b"GARBAGE\r\n\r\n").await;
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.starts_with("HTTP/1.0 400 Bad request syntax ('GARBAGE')\r\n"),
        "{text}"
    );
    assert!(text.contains("Content-Type: text/html;charset=utf-8\r\n"));
}

#[tokio::test]
async fn static_file_has_the_static_header_order() {
    let app = spawn_app().await;
    let r = call(app.addr, "GET", "/static/js/kcli.js", None).await;
    assert_eq!(
        r.header_names(),
        vec![
            "Server",
            "Content-Type",
            "Content-Length",
            "Last-Modified",
            "Date",
            "Etag",
            "Accept-Ranges"
        ]
    );
    assert_eq!(r.header("Content-Length"), Some("2704"));
    assert_eq!(
        r.header("Content-Type"),
        Some("text/javascript; charset=UTF-8")
    );
    let missing = call(app.addr, "GET", "/static/nosuch.js", None).await;
    assert_eq!(missing.status(), 404);
    assert!(missing.text().contains("<pre>File does not exist.</pre>"));
}
