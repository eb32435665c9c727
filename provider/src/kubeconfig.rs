//! Kubeconfig handling for cluster GETs (KCLI-024, KCLI-025).

use serde_yaml_ng::{Mapping, Value};

/// Reduces a kubeconfig to its current context (one cluster, one user, one
/// context; KCLI-025) and returns it with the API endpoint (the `server` of
/// the current context's cluster, or of the first cluster, KCLI-024).
/// `None` when the text is not a kubeconfig with a server.
#[must_use]
pub(crate) fn reduce(text: &str) -> Option<(String, String)> {
    let doc: Value = serde_yaml_ng::from_str(text).ok()?;
    let named = |list: &str, name: &str| -> Option<Value> {
        doc.get(list)?
            .as_sequence()?
            .iter()
            .find(|item| item.get("name").and_then(Value::as_str) == Some(name))
            .cloned()
    };
    let current = doc.get("current-context").and_then(Value::as_str);
    let context = current.and_then(|c| named("contexts", c));
    let cluster_name = context.as_ref().and_then(|c| {
        c.get("context")?
            .get("cluster")?
            .as_str()
            .map(str::to_owned)
    });
    let cluster = cluster_name
        .as_deref()
        .and_then(|n| named("clusters", n))
        .or_else(|| doc.get("clusters")?.as_sequence()?.first().cloned())?;
    let server = cluster.get("cluster")?.get("server")?.as_str()?.to_owned();
    let user_name = context
        .as_ref()
        .and_then(|c| c.get("context")?.get("user")?.as_str().map(str::to_owned));
    let user = user_name.as_deref().and_then(|n| named("users", n));
    let reduced = match (context, user, current) {
        (Some(context), Some(user), Some(current)) => {
            let mut out = Mapping::new();
            out.insert("apiVersion".into(), "v1".into());
            out.insert("kind".into(), "Config".into());
            out.insert("clusters".into(), Value::Sequence(vec![cluster]));
            out.insert("contexts".into(), Value::Sequence(vec![context]));
            out.insert("users".into(), Value::Sequence(vec![user]));
            out.insert("current-context".into(), current.into());
            serde_yaml_ng::to_string(&Value::Mapping(out)).ok()?
        }
        _ => text.to_owned(),
    };
    Some((reduced, server))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kcli025_keeps_only_the_current_context() {
        let text = "apiVersion: v1\nkind: Config\nclusters:\n- name: a\n  cluster:\n    server: https://a:6443\n- name: b\n  cluster:\n    server: https://b:6443\ncontexts:\n- name: ca\n  context:\n    cluster: a\n    user: ua\n- name: cb\n  context:\n    cluster: b\n    user: ub\nusers:\n- name: ua\n  user:\n    token: x\n- name: ub\n  user:\n    token: y\ncurrent-context: cb\n";
        let (reduced, server) = reduce(text).expect("kubeconfig");
        assert_eq!(server, "https://b:6443");
        assert!(!reduced.contains("https://a:6443"), "{reduced}");
        assert!(
            reduced.contains("token: y") && !reduced.contains("token: x"),
            "{reduced}"
        );
    }

    #[test]
    fn empty_kubeconfig_has_no_endpoint() {
        assert!(reduce("apiVersion: v1\nkind: Config\nclusters: []\n").is_none());
    }
}
