//! Profiles, containers, dead features, the console and static files
//! (`kweb-reference.md` §6.15-§6.17).

use serde_json::json;

use super::{Call, Handled, Out};
use crate::world::profiles;

/// `GET /vmprofiles` (§6.15).
pub fn vmprofiles(c: &mut Call<'_>) -> Handled {
    Ok(Out::ok(profiles::vmprofiles(&c.sim.world)))
}

/// `GET /kubeprofiles`.
pub fn kubeprofiles(c: &mut Call<'_>) -> Handled {
    Ok(Out::ok(
        json!({ "profiles": profiles::kubeprofiles(&c.sim.world) }),
    ))
}

/// `GET /kubeprofiles/<profile>`: the dict, or 404 with the literal `{profile}`.
pub fn kubeprofile(c: &mut Call<'_>) -> Handled {
    let all = profiles::kubeprofiles(&c.sim.world);
    match all.get(c.param(0)) {
        Some(p) => Ok(Out::ok(p.clone())),
        None => Ok(Out::Json(
            404,
            json!({"result": "failure", "reason": "Clusterprofile {profile} not found"}),
        )),
    }
}

/// `GET /containerprofiles`.
pub fn containerprofiles(c: &mut Call<'_>) -> Handled {
    Ok(Out::ok(profiles::containerprofiles(&c.sim.world)))
}

/// Container routes without an engine: readonly guard (for mutating
/// methods), `Kconfig()`, then 500 (§6.16).
pub fn dead_container(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    Err(Out::exception())
}

/// `POST /container/<n>/start`, `POST /containers/<n>/stop`, `DELETE /container/<n>`.
pub fn container_action(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    c.backend()?;
    Err(Out::exception())
}

/// `POST /containers`: kweb builds `Kcontainerconfig` before its key
/// checks, so without an engine every valid body ends in 500 (observed on
/// the real kweb; the E2 branches are unreachable).
pub fn container_create(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    c.data()?;
    c.backend()?;
    Err(Out::exception())
}

/// Removed features on `Kconfig` routes: readonly guard for mutating
/// methods, E4 when unreachable, else 500.
pub fn dead_k(c: &mut Call<'_>) -> Handled {
    if !c.req.method.eq_ignore_ascii_case("GET") && !c.req.method.eq_ignore_ascii_case("HEAD") {
        c.guard()?;
    }
    c.backend()?;
    Err(Out::exception())
}

/// Removed features on `Kbaseconfig` routes: always 500.
pub fn dead_b(_c: &mut Call<'_>) -> Handled {
    Err(Out::exception())
}

/// `POST /repos`: E2 without `repo` or with `url == ""`, else 500.
pub fn repo_create(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    let data = c.data()?;
    c.backend()?;
    if !data.contains("repo")? {
        return Ok(Out::invalid_data());
    }
    data.get("repo")?;
    let url = data.get("url")?;
    if url == json!("") {
        return Ok(Out::invalid_data());
    }
    Err(Out::exception())
}

/// `POST /products`: E2 without `product`; 200 `Invalid Action` without
/// `plan` (§4.1 E2); else 500.
pub fn product_create(c: &mut Call<'_>) -> Handled {
    c.guard()?;
    let data = c.data()?;
    c.backend()?;
    if !data.contains("product")? {
        return Ok(Out::invalid_data());
    }
    if !data.contains("plan")? {
        return Ok(Out::failure("Invalid Action"));
    }
    Err(Out::exception())
}

/// `GET /vmconsole/<vm>`: websockify is missing on the simulated host.
pub fn console(c: &mut Call<'_>) -> Handled {
    c.backend()?;
    Ok(Out::Html(
        404,
        "missing websockify binary on server side".into(),
    ))
}

/// kcli's bundled JavaScript as captured (`GET_static_js_kcli.js.txt`).
const KCLI_JS: &[u8] = include_bytes!("../../assets/kcli.js");

/// `GET /static/<path>`: `js/kcli.js` is embedded; anything else is 404
/// `File does not exist.` (the other bundled assets are not shipped).
pub fn static_file(c: &mut Call<'_>) -> Handled {
    match c.param(0) {
        "js/kcli.js" => Ok(Out::Static {
            content_type: "text/javascript; charset=UTF-8".into(),
            body: KCLI_JS.to_vec(),
            mtime: c.sim.started_at,
        }),
        _ => Err(Out::Error(404, "File does not exist.".into())),
    }
}
