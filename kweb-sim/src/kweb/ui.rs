//! The web UI pages (`kweb-reference.md` §5.2). Index and form pages are
//! the captured pages with the current client filled in; table pages are
//! simple HTML fragments rendered from state (not byte-faithful; parity
//! tests compare UI pages by status and content type only).

use serde_json::Value;

use super::resources::{networks_map, volumes};
use super::{Call, Handled, Out};
use crate::http::shapes::html_escape;
use crate::world::profiles;

const CLIENT_MARK: &str = "Current Client: testlv</p>";

fn asset(path: &str) -> Option<&'static str> {
    Some(match path {
        "/" | "/vmsindex" => include_str!("../../assets/ui/index_vms.html"),
        "/vmprofilesindex" => include_str!("../../assets/ui/index_vmprofiles.html"),
        "/hostsindex" => include_str!("../../assets/ui/index_hosts.html"),
        "/kubesindex" => include_str!("../../assets/ui/index_kubes.html"),
        "/kubeprofilesindex" => include_str!("../../assets/ui/index_kubeprofiles.html"),
        "/networksindex" => include_str!("../../assets/ui/index_networks.html"),
        "/poolsindex" => include_str!("../../assets/ui/index_pools.html"),
        "/imagesindex" => include_str!("../../assets/ui/index_images.html"),
        "/isosindex" => include_str!("../../assets/ui/index_isos.html"),
        "/plansindex" => include_str!("../../assets/ui/index_plans.html"),
        "/containersindex" => include_str!("../../assets/ui/index_containers.html"),
        "/containerprofilesindex" => include_str!("../../assets/ui/index_containerprofiles.html"),
        "/repos" => include_str!("../../assets/ui/index_repos.html"),
        "/productsindex" => include_str!("../../assets/ui/index_products.html"),
        "/vmcreateform" => include_str!("../../assets/ui/form_vm.html"),
        "/networkcreateform" => include_str!("../../assets/ui/form_network.html"),
        "/poolcreateform" => include_str!("../../assets/ui/form_pool.html"),
        "/imagecreateform" => include_str!("../../assets/ui/form_image.html"),
        "/plancreateform" => include_str!("../../assets/ui/form_plan.html"),
        "/containercreateform" => include_str!("../../assets/ui/form_container.html"),
        "/repocreateform" => include_str!("../../assets/ui/form_repo.html"),
        "/kubecreateform/k3s" => include_str!("../../assets/ui/form_kube_k3s.html"),
        "/kubecreateform/generic" => include_str!("../../assets/ui/form_kube_generic.html"),
        "/kubecreateform/openshift" => include_str!("../../assets/ui/form_kube_openshift.html"),
        _ => return None,
    })
}

fn with_client(c: &Call<'_>, page: &str) -> String {
    page.replacen(
        CLIENT_MARK,
        &format!(
            "Current Client: {}</p>",
            html_escape(&c.sim.world.default_client)
        ),
        1,
    )
}

fn decoded_path(c: &Call<'_>) -> String {
    crate::http::body::unquote(c.req.raw_path())
}

/// Layout pages that only read the configuration (`B`): no backend needed.
pub fn index(c: &mut Call<'_>) -> Handled {
    let path = decoded_path(c);
    let page = asset(&path).ok_or_else(Out::exception)?;
    Ok(Out::Html(200, with_client(c, page)))
}

/// Layout and form pages that build `Kconfig` (`K`): E4 when unreachable.
pub fn backend_page(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    index(c)
}

/// `/kubecreateform/<type>`: forms for k3s, generic, openshift; 500 for
/// microshift and hypershift (missing template); 400 with the form page otherwise.
pub fn kubecreateform(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    match c.param(0) {
        "microshift" | "hypershift" => Err(Out::exception()),
        "k3s" | "generic" | "openshift" => index(c),
        _ => Ok(Out::Html(
            400,
            include_str!("../../assets/ui/form_kube_other.html").to_owned(),
        )),
    }
}

fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("        <thead>\n            <tr>\n");
    for h in headers {
        s.push_str(&format!("                <th>{}</th>\n", html_escape(h)));
    }
    s.push_str("            </tr>\n        </thead>\n        <tbody>\n");
    for row in rows {
        s.push_str("            <tr>\n");
        for cell in row {
            s.push_str(&format!("                <td>{}</td>\n", html_escape(cell)));
        }
        s.push_str("            </tr>\n");
    }
    s.push_str("        </tbody>\n");
    s
}

fn cell(v: &Value) -> String {
    crate::http::pyjson::py_str(v)
}

/// `/vmstable`.
pub fn vmstable(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    c.sim.tick(c.now);
    let w = &c.sim.world;
    let mut vms: Vec<_> = w.vms.iter().collect();
    vms.sort_by(|a, b| a.name.cmp(&b.name));
    let rows: Vec<Vec<String>> = vms
        .into_iter()
        .map(|vm| {
            let o = w.render_vm_list_entry(vm);
            ["name", "status", "ip", "image", "plan", "profile", "info"]
                .iter()
                .map(|k| cell(o.get(*k).unwrap_or(&Value::from(""))))
                .collect()
        })
        .collect();
    Ok(Out::Html(
        200,
        table(
            &["Name", "Status", "Ip", "Source", "Plan", "Profile", "Info"],
            &rows,
        ),
    ))
}

/// `/vmprofilestable`.
pub fn vmprofilestable(c: &mut Call<'_>) -> Handled {
    let p = profiles::vmprofiles(&c.sim.world);
    let rows: Vec<Vec<String>> = p["profiles"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(n, v)| {
                    vec![
                        n.clone(),
                        cell(&v["image"]),
                        cell(&v["numcpus"]),
                        cell(&v["memory"]),
                        cell(&v["nets"]),
                        cell(&v["disks"]),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Out::Html(
        200,
        table(
            &["Profile", "Image", "Cpus", "Memory", "Nets", "Disks"],
            &rows,
        ),
    ))
}

/// `/networkstable`.
pub fn networkstable(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    let rows: Vec<Vec<String>> = networks_map(&c.sim.world)
        .iter()
        .map(|(n, v)| {
            vec![
                n.clone(),
                cell(&v["type"]),
                cell(&v["cidr"]),
                cell(&v["dhcp"]),
                cell(v.get("domain").unwrap_or(&Value::from(""))),
                cell(&v["mode"]),
            ]
        })
        .collect();
    Ok(Out::Html(
        200,
        table(
            &["Network", "Type", "Cidr", "Dhcp", "Domain", "Mode"],
            &rows,
        ),
    ))
}

/// `/poolstable`.
pub fn poolstable(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    let rows: Vec<Vec<String>> = c
        .sim
        .world
        .pools
        .iter()
        .map(|p| vec![p.name.clone(), p.path.clone()])
        .collect();
    Ok(Out::Html(200, table(&["Pool", "Path"], &rows)))
}

/// `/hoststable`.
pub fn hoststable(c: &mut Call<'_>) -> Handled {
    let w = &c.sim.world;
    let mut clients: Vec<_> = w.clients.iter().collect();
    clients.sort_by(|a, b| a.name.cmp(&b.name));
    let rows: Vec<Vec<String>> = clients
        .into_iter()
        .map(|cl| {
            vec![
                cl.name.clone(),
                cl.kind.clone(),
                if cl.enabled {
                    "True".into()
                } else {
                    "False".into()
                },
                if cl.name == w.default_client {
                    "X".into()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    Ok(Out::Html(
        200,
        table(&["Client", "Type", "Enabled", "Current"], &rows),
    ))
}

/// `/planstable`.
pub fn planstable(c: &mut Call<'_>) -> Handled {
    let out = super::plans::list(c)?;
    let Out::Json(_, v) = out else { return Ok(out) };
    let rows: Vec<Vec<String>> = v["plans"]
        .as_array()
        .map(|a| a.iter().map(|r| vec![cell(&r[0]), cell(&r[1])]).collect())
        .unwrap_or_default();
    Ok(Out::Html(200, table(&["Plan", "Vms"], &rows)))
}

/// `/kubestable`.
pub fn kubestable(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    c.sim.tick(c.now);
    let rows: Vec<Vec<String>> = super::kubes::kubes_map(&c.sim.world)
        .iter()
        .map(|(k, v)| {
            vec![
                k.clone(),
                cell(&v["type"]),
                cell(&v["plan"]),
                cell(&v["vms"]),
            ]
        })
        .collect();
    Ok(Out::Html(
        200,
        table(&["Cluster", "Type", "Plan", "Vms"], &rows),
    ))
}

/// `/kubeinfo/<kube>`: the captured page with this cluster's link, version and nodes.
pub fn kubeinfo(c: &mut Call<'_>) -> Handled {
    let info = super::kubes::info(c)?;
    let Out::Json(_, v) = info else {
        return Ok(info);
    };
    let kube = html_escape(c.param(0));
    let mut page = include_str!("../../assets/ui/kubeinfo.html")
        .replace("kubeconfig.k3'", &format!("kubeconfig.{kube}'"));
    page = page.replacen(
        "Current Client: </p>",
        &format!(
            "Current Client: {}</p>",
            html_escape(&c.sim.world.default_client)
        ),
        1,
    );
    let version = v.get("version").map_or_else(|| "N/A".to_owned(), cell);
    page = page.replacen(
        "Version: N/A<p>",
        &format!("Version: {}<p>", html_escape(&version)),
        1,
    );
    let mut rows = String::new();
    for node in v
        .get("nodes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        rows.push_str("  <tr>\n");
        for col in node.as_array().cloned().unwrap_or_default() {
            rows.push_str(&format!("    <td>{}</td>\n", html_escape(&cell(&col))));
        }
        rows.push_str("  </tr>\n");
    }
    page = page.replacen(
        "  <tr>\n\n  </tbody>",
        &format!("{rows}  <tr>\n\n  </tbody>"),
        1,
    );
    Ok(Out::Html(200, page))
}

/// `/kubeprofilestable`.
pub fn kubeprofilestable(c: &mut Call<'_>) -> Handled {
    let rows: Vec<Vec<String>> = profiles::kubeprofiles(&c.sim.world)
        .iter()
        .map(|(n, v)| vec![n.clone(), cell(v)])
        .collect();
    Ok(Out::Html(200, table(&["Profile", "Parameters"], &rows)))
}

/// `/imagestable`.
pub fn imagestable(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    let rows: Vec<Vec<String>> = volumes(&c.sim.world, false)
        .into_iter()
        .map(|i| vec![i])
        .collect();
    Ok(Out::Html(200, table(&["Images"], &rows)))
}

/// `/isostable`.
pub fn isostable(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    let rows: Vec<Vec<String>> = volumes(&c.sim.world, true)
        .into_iter()
        .map(|i| vec![i])
        .collect();
    Ok(Out::Html(200, table(&["Isos"], &rows)))
}

/// `/containerprofilestable`.
pub fn containerprofilestable(c: &mut Call<'_>) -> Handled {
    let p = profiles::containerprofiles(&c.sim.world);
    let rows: Vec<Vec<String>> = p["profiles"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    r.as_array()
                        .map(|x| x.iter().map(cell).collect())
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Out::Html(
        200,
        table(
            &["Profile", "Image", "Nets", "Ports", "Volumes", "Cmd"],
            &rows,
        ),
    ))
}
