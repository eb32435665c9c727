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

/// A row action: the JavaScript call kweb's page binds and its label.
type Action = (String, &'static str);

/// `fn('arg', ...)` as kweb's templates write it in `onclick` attributes.
fn js(function: &str, args: &[&str]) -> String {
    let quoted: Vec<String> = args
        .iter()
        .map(|a| {
            format!(
                "'{}'",
                a.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
                    .replace('"', "&quot;")
            )
        })
        .collect();
    format!("{function}({})", quoted.join(", "))
}

/// An HTML table fragment; the `Actions` column is left out in readonly
/// mode, as kweb's templates hide their buttons (§9).
fn table(
    headers: &[&str],
    rows: &[Vec<String>],
    actions: &[Vec<Action>],
    readonly: bool,
) -> String {
    let with_actions = !readonly && !actions.is_empty();
    let mut s = String::from("        <thead>\n            <tr>\n");
    for h in headers {
        s.push_str(&format!("                <th>{}</th>\n", html_escape(h)));
    }
    if with_actions {
        s.push_str("                <th>Actions</th>\n");
    }
    s.push_str("            </tr>\n        </thead>\n        <tbody>\n");
    for (i, row) in rows.iter().enumerate() {
        s.push_str("            <tr>\n");
        for cell in row {
            s.push_str(&format!("                <td>{}</td>\n", html_escape(cell)));
        }
        if with_actions {
            s.push_str("                <td>");
            for (call, label) in actions.get(i).map(Vec::as_slice).unwrap_or_default() {
                s.push_str(&format!("<span onclick=\"{call};\">{label}</span> "));
            }
            s.push_str("</td>\n");
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
            let o = super::vmjson::render_vm_list_entry(w, vm);
            ["name", "status", "ip", "image", "plan", "profile", "info"]
                .iter()
                .map(|k| cell(o.get(*k).unwrap_or(&Value::from(""))))
                .collect()
        })
        .collect();
    let actions: Vec<Vec<Action>> = rows
        .iter()
        .map(|r| {
            vec![
                (js("vmstart", &[&r[0]]), "Start"),
                (js("vmstop", &[&r[0]]), "Stop"),
                (js("vmdelete", &[&r[0]]), "Delete"),
                (js("snapshotcreate", &[&r[0]]), "Snapshot"),
                (js("snapshotrevert", &[&r[0]]), "Revert"),
                (js("snapshotdelete", &[&r[0]]), "Delete snapshot"),
            ]
        })
        .collect();
    Ok(Out::Html(
        200,
        table(
            &["Name", "Status", "Ip", "Source", "Plan", "Profile", "Info"],
            &rows,
            &actions,
            w.readonly,
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
    let actions: Vec<Vec<Action>> = rows
        .iter()
        .map(|r| vec![(js("vmcreate", &[&r[0]]), "Create")])
        .collect();
    Ok(Out::Html(
        200,
        table(
            &["Profile", "Image", "Cpus", "Memory", "Nets", "Disks"],
            &rows,
            &actions,
            c.sim.world.readonly,
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
    let actions: Vec<Vec<Action>> = rows
        .iter()
        .map(|r| vec![(js("networkdelete", &[&r[0]]), "Delete")])
        .collect();
    Ok(Out::Html(
        200,
        table(
            &["Network", "Type", "Cidr", "Dhcp", "Domain", "Mode"],
            &rows,
            &actions,
            c.sim.world.readonly,
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
    let actions: Vec<Vec<Action>> = rows
        .iter()
        .map(|r| vec![(js("pooldelete", &[&r[0]]), "Delete")])
        .collect();
    Ok(Out::Html(
        200,
        table(&["Pool", "Path"], &rows, &actions, c.sim.world.readonly),
    ))
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
    let actions: Vec<Vec<Action>> = rows
        .iter()
        .map(|r| {
            vec![
                (js("hostenable", &[&r[0]]), "Enable"),
                (js("hostdisable", &[&r[0]]), "Disable"),
                (js("hostswitch", &[&r[0]]), "Switch"),
            ]
        })
        .collect();
    Ok(Out::Html(
        200,
        table(
            &["Client", "Type", "Enabled", "Current"],
            &rows,
            &actions,
            w.readonly,
        ),
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
    let actions: Vec<Vec<Action>> = rows
        .iter()
        .map(|r| {
            vec![
                (js("planstart", &[&r[0]]), "Start"),
                (js("planstop", &[&r[0]]), "Stop"),
                (js("plandelete", &[&r[0]]), "Delete"),
            ]
        })
        .collect();
    Ok(Out::Html(
        200,
        table(&["Plan", "Vms"], &rows, &actions, c.sim.world.readonly),
    ))
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
    let actions: Vec<Vec<Action>> = rows
        .iter()
        .map(|r| {
            vec![
                (
                    format!("location.href='/kubeinfo/{}'", html_escape(&r[0])),
                    "Info",
                ),
                (js("planstart", &[&r[2]]), "Start"),
                (js("planstop", &[&r[2]]), "Stop"),
                (js("plandelete", &[&r[2]]), "Delete"),
            ]
        })
        .collect();
    Ok(Out::Html(
        200,
        table(
            &["Cluster", "Type", "Plan", "Vms"],
            &rows,
            &actions,
            c.sim.world.readonly,
        ),
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
    let actions: Vec<Vec<Action>> = rows
        .iter()
        .map(|r| vec![(js("kubecreatefromprofile", &["generic", &r[0]]), "Create")])
        .collect();
    Ok(Out::Html(
        200,
        table(
            &["Profile", "Parameters"],
            &rows,
            &actions,
            c.sim.world.readonly,
        ),
    ))
}

/// `/imagestable`.
pub fn imagestable(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    let rows: Vec<Vec<String>> = volumes(&c.sim.world, false)
        .into_iter()
        .map(|i| vec![i])
        .collect();
    let actions: Vec<Vec<Action>> = rows
        .iter()
        .map(|r| vec![(js("vmcreate", &["", &r[0]]), "Create Vm")])
        .collect();
    Ok(Out::Html(
        200,
        table(&["Images"], &rows, &actions, c.sim.world.readonly),
    ))
}

/// `/isostable`.
pub fn isostable(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    let rows: Vec<Vec<String>> = volumes(&c.sim.world, true)
        .into_iter()
        .map(|i| vec![i])
        .collect();
    Ok(Out::Html(200, table(&["Isos"], &rows, &[], true)))
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
    let actions: Vec<Vec<Action>> = rows
        .iter()
        .map(|r| vec![(js("containercreate", &["", &r[0]]), "Create")])
        .collect();
    Ok(Out::Html(
        200,
        table(
            &["Profile", "Image", "Nets", "Ports", "Volumes", "Cmd"],
            &rows,
            &actions,
            c.sim.world.readonly,
        ),
    ))
}
