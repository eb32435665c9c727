//! kweb's route table (`kweb-reference.md` §2.5, §2.6, §2.8, §5): path
//! patterns with their registered methods and handlers; 404 for unknown
//! paths, 405 with `Allow` for known paths and other methods, `HEAD` served by
//! `GET` routes.

use super::{Call, Handled, kubes, misc, plans, resources, ui, vms};

/// A handler function.
pub type HandlerFn = fn(&mut Call<'_>) -> Handled;

/// One registered route: pattern, method, handler.
#[derive(Clone, Copy)]
pub struct Route {
    /// Pattern: `/vms/<name>`, `/kubeconfig/kubeconfig.<kube>`, `/static/<filename:path>`.
    pub pattern: &'static str,
    /// Registered method (upper case).
    pub method: &'static str,
    /// Handler.
    pub handler: HandlerFn,
}

const fn r(pattern: &'static str, method: &'static str, handler: HandlerFn) -> Route {
    Route {
        pattern,
        method,
        handler,
    }
}

/// Every kweb route, in the source's registration order.
pub static ROUTES: &[Route] = &[
    r("/static/<filename:path>", "GET", misc::static_file),
    r("/vms", "GET", vms::list),
    r("/vmstable", "GET", ui::vmstable),
    r("/", "GET", ui::index),
    r("/vmsindex", "GET", ui::index),
    r("/vmcreateform", "GET", ui::backend_page),
    r("/vmprofiles", "GET", misc::vmprofiles),
    r("/vmprofilestable", "GET", ui::vmprofilestable),
    r("/vmprofilesindex", "GET", ui::index),
    r("/disks/<name>", "POST", vms::disk_add),
    r("/disks/<name>", "DELETE", vms::disk_delete),
    r("/nics/<name>", "POST", vms::nic_add),
    r("/nics/<name>", "DELETE", vms::nic_delete),
    r("/containercreateform", "GET", ui::index),
    r("/poolcreateform", "GET", ui::backend_page),
    r("/pools", "POST", resources::pool_create),
    r("/pools/<pool>", "DELETE", resources::pool_delete),
    r("/repos", "POST", misc::repo_create),
    r("/repos/<repo>", "DELETE", misc::dead_k),
    r("/repos/<repo>", "PATCH", misc::dead_k),
    r("/networkcreateform", "GET", ui::backend_page),
    r("/networks", "POST", resources::network_create),
    r("/networks/<network>", "DELETE", resources::network_delete),
    r("/networks/<network>", "UPDATE", resources::network_update),
    r("/plancreateform", "GET", ui::backend_page),
    r("/vms/<name>/start", "POST", vms::start),
    r("/vms/<name>/stop", "POST", vms::stop),
    r("/vms", "POST", vms::create),
    r("/vms/<name>", "GET", vms::info),
    r("/vms/<name>", "DELETE", vms::delete),
    r("/vms/<name>", "UPDATE", vms::update),
    r("/hosts/<name>/enable", "POST", resources::host_enable),
    r("/hosts/<name>/disable", "POST", resources::host_disable),
    r("/hosts/<name>/switch", "POST", resources::host_switch),
    r("/host", "GET", resources::host_info),
    r("/snapshots/<name>", "GET", vms::snapshot_list),
    r("/snapshots/<name>/revert", "POST", vms::snapshot_revert),
    r("/snapshots/<name>", "DELETE", vms::snapshot_delete),
    r("/snapshots/<name>", "POST", vms::snapshot_create),
    r("/plan/<plan>/start", "POST", plans::start),
    r("/plan/<plan>/stop", "POST", plans::stop),
    r("/plans/<plan>", "DELETE", plans::delete),
    r("/plans", "POST", plans::create),
    r("/containers", "GET", misc::dead_container),
    r("/containerstable", "GET", misc::dead_container),
    r("/containersindex", "GET", ui::backend_page),
    r("/networks", "GET", resources::network_list),
    r("/networkstable", "GET", ui::networkstable),
    r("/networksindex", "GET", ui::backend_page),
    r("/pools", "GET", resources::pool_list),
    r("/poolstable", "GET", ui::poolstable),
    r("/poolsindex", "GET", ui::backend_page),
    r("/reposlist", "GET", misc::dead_k),
    r("/repostable", "GET", misc::dead_k),
    r("/repos", "GET", ui::backend_page),
    r("/repocreateform", "GET", ui::backend_page),
    r("/products", "GET", misc::dead_b),
    r("/productstable", "GET", misc::dead_b),
    r("/productsindex", "GET", ui::index),
    r("/productcreateform/<prod>", "GET", misc::dead_b),
    r("/products", "POST", misc::product_create),
    r("/kubecreateform/<_type>", "GET", ui::kubecreateform),
    r("/kubes", "POST", kubes::create),
    r("/kubes/<kube>", "DELETE", kubes::delete),
    r("/hosts", "GET", resources::host_list),
    r("/hoststable", "GET", ui::hoststable),
    r("/hostsindex", "GET", ui::backend_page),
    r("/plans", "GET", plans::list),
    r("/planstable", "GET", ui::planstable),
    r("/plansindex", "GET", ui::backend_page),
    r("/kubes", "GET", kubes::list),
    r("/kubestable", "GET", ui::kubestable),
    r("/kubes/<kube>", "GET", kubes::info),
    r(
        "/kubeconfig/kubeconfig.<kube>",
        "GET",
        kubes::kubeconfig_file,
    ),
    r("/kubes/<kube>/kubeconfig", "GET", kubes::kubeconfig_text),
    r("/kubeinfo/<kube>", "GET", ui::kubeinfo),
    r("/kubesindex", "GET", ui::backend_page),
    r("/kubeprofiles/<profile>", "GET", misc::kubeprofile),
    r("/kubeprofiles", "GET", misc::kubeprofiles),
    r("/kubeprofilestable", "GET", ui::kubeprofilestable),
    r("/kubeprofilesindex", "GET", ui::index),
    r("/container/<name>/start", "POST", misc::container_action),
    r("/containers/<name>/stop", "POST", misc::container_action),
    r("/container/<name>", "DELETE", misc::container_action),
    r("/containers", "POST", misc::container_create),
    r("/images", "GET", resources::image_list),
    r("/imagestable", "GET", ui::imagestable),
    r("/imagesindex", "GET", ui::backend_page),
    r("/imagecreateform", "GET", ui::backend_page),
    r("/images", "POST", resources::image_create),
    r("/images/<image>", "DELETE", resources::image_delete),
    r("/isos", "GET", resources::iso_list),
    r("/isostable", "GET", ui::isostable),
    r("/isosindex", "GET", ui::backend_page),
    r("/containerprofiles", "GET", misc::containerprofiles),
    r("/containerprofilestable", "GET", ui::containerprofilestable),
    r("/containerprofilesindex", "GET", ui::index),
    r("/vmconsole/<name>", "GET", misc::console),
];

/// Matches `path` (decoded) against `pattern`; returns the parameters.
#[must_use]
pub fn match_pattern(pattern: &str, path: &str) -> Option<Vec<String>> {
    if let Some(prefix) = pattern.strip_suffix("<filename:path>") {
        let rest = path.strip_prefix(prefix)?;
        return if rest.is_empty() {
            None
        } else {
            Some(vec![rest.to_owned()])
        };
    }
    let ps: Vec<&str> = pattern.split('/').collect();
    let xs: Vec<&str> = path.split('/').collect();
    if ps.len() != xs.len() {
        return None;
    }
    let mut params = Vec::new();
    for (p, x) in ps.iter().zip(xs.iter()) {
        if let Some(open) = p.find('<') {
            let (lit, _) = p.split_at(open);
            let value = x.strip_prefix(lit)?;
            if value.is_empty() {
                return None;
            }
            params.push(value.to_owned());
        } else if p != x {
            return None;
        }
    }
    Some(params)
}

/// The outcome of routing one request.
pub enum Resolved {
    /// A handler with its parameters and the matched pattern.
    Handler(HandlerFn, Vec<String>, &'static str),
    /// The path is known but not for this method: the `Allow` value.
    MethodNotAllowed(String),
    /// No route matches the path.
    NotFound,
}

/// Finds the handler for `method` (case-insensitive; `HEAD` uses `GET`)
/// and the decoded `path`.
#[must_use]
pub fn resolve(method: &str, path: &str) -> Resolved {
    let m = method.to_ascii_uppercase();
    let lookup = if m == "HEAD" { "GET" } else { m.as_str() };
    let mut allowed: Vec<&str> = Vec::new();
    for route in ROUTES {
        if let Some(params) = match_pattern(route.pattern, path) {
            if route.method == lookup {
                return Resolved::Handler(route.handler, params, route.pattern);
            }
            allowed.push(route.method);
        }
    }
    if allowed.is_empty() {
        return Resolved::NotFound;
    }
    allowed.retain(|a| *a != m);
    allowed.sort_unstable();
    allowed.dedup();
    Resolved::MethodNotAllowed(allowed.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(method: &str, path: &str) -> Option<String> {
        match resolve(method, path) {
            Resolved::MethodNotAllowed(a) => Some(a),
            _ => None,
        }
    }

    #[test]
    fn allow_table_matches_section_2_8() {
        assert_eq!(allow("OPTIONS", "/vms").as_deref(), Some("GET,POST"));
        assert_eq!(
            allow("PUT", "/vms/vm1").as_deref(),
            Some("DELETE,GET,UPDATE")
        );
        assert_eq!(allow("GET", "/vms/vm1/start").as_deref(), Some("POST"));
        assert_eq!(
            allow("PUT", "/networks/net1").as_deref(),
            Some("DELETE,UPDATE")
        );
        assert_eq!(
            allow("GET", "/snapshots/vm1/revert").as_deref(),
            Some("POST")
        );
        assert_eq!(
            allow("PUT", "/snapshots/vm1").as_deref(),
            Some("DELETE,GET,POST")
        );
        assert_eq!(allow("GET", "/repos/r").as_deref(), Some("DELETE,PATCH"));
        assert_eq!(allow("POST", "/host").as_deref(), Some("GET"));
        assert_eq!(allow("DELETE", "/kubes/k").as_deref(), None);
        assert_eq!(allow("FOO", "/vms").as_deref(), Some("GET,POST"));
        assert_eq!(allow("POST", "/vms").as_deref(), None);
    }

    #[test]
    fn unknown_paths_and_case() {
        assert!(matches!(resolve("GET", "/vms/"), Resolved::NotFound));
        assert!(matches!(
            resolve("POST", "/vms/vm1/restart"),
            Resolved::NotFound
        ));
        assert!(matches!(
            resolve("update", "/vms/vm1"),
            Resolved::Handler(..)
        ));
        assert!(matches!(resolve("HEAD", "/vms"), Resolved::Handler(..)));
        assert!(matches!(
            resolve("GET", "/kubeconfig/kubeconfig.k3"),
            Resolved::Handler(..)
        ));
        assert!(matches!(
            resolve("GET", "/kubeconfig/other.k3"),
            Resolved::NotFound
        ));
        assert!(matches!(
            resolve("GET", "/static/js/kcli.js"),
            Resolved::Handler(..)
        ));
    }
}
