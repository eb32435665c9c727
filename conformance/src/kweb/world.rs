//! The cucumber world of the kweb parity suite and its per-scenario set-up.
//!
//! cucumber builds worlds without arguments, so the runner stores the suite
//! configuration ([`Suite`]) once per process in [`SUITE`] before running;
//! the `before` hook then picks the target for the scenario's tags and the
//! `after` hook runs the scenario's clean-up and switches special instances
//! off again.

use std::sync::OnceLock;

use crate::kweb::request_step::Vars;
use crate::kweb::session::Session;
use crate::kweb::target::{Instance, Route, Targets};

/// Everything scenarios need to know about where they run.
#[derive(Debug, Clone)]
pub struct Suite {
    /// Where each kind of scenario goes.
    pub targets: Targets,
    /// `${NAME}` substitutions for requests.
    pub vars: Vars,
}

/// The suite of this process, set once by the runner.
pub static SUITE: OnceLock<Suite> = OnceLock::new();

/// Per-scenario state.
#[derive(Debug, Default, cucumber::World)]
pub struct KwebWorld {
    session: Option<Session>,
    toggled: Option<Instance>,
}

impl KwebWorld {
    /// The scenario's session.
    ///
    /// # Panics
    /// When the `before` hook did not run (a runner bug, not a kweb failure).
    pub fn session(&mut self) -> &mut Session {
        self.session
            .as_mut()
            .expect("the before hook sets the session up")
    }

    /// Prepares the world for a scenario with these tags: picks the target
    /// and, on the simulator, switches a special instance on.
    ///
    /// # Errors
    /// A message when the suite is not configured or the switch fails.
    pub async fn prepare(&mut self, tags: &[String]) -> Result<(), String> {
        let suite = SUITE.get().ok_or("the kweb suite is not configured")?;
        let target = match suite.targets.route(tags) {
            Route::Direct(target) => target,
            Route::SimToggle(target, instance) => {
                let exchange = target
                    .send(&instance.sim_toggle(true))
                    .await
                    .map_err(|e| e.to_string())?;
                if exchange.status() != Some(200) {
                    return Err(format!(
                        "cannot switch the simulator to {instance}:\n{exchange}"
                    ));
                }
                self.toggled = Some(instance);
                target
            }
            Route::NotApplicable(why) => return Err(format!("not applicable: {why}")),
        };
        self.session = Some(Session::new(target, suite.vars.clone()));
        Ok(())
    }

    /// Runs the clean-up requests and switches special instances off.
    /// Returns problems to report (they do not fail the scenario).
    pub async fn finish(&mut self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(session) = self.session.as_mut() {
            if let Some(instance) = self.toggled.take() {
                let off = instance.sim_toggle(false);
                if let Err(e) = session.target().send(&off).await {
                    problems.push(format!("switching {instance} off: {e}"));
                }
            }
            problems.extend(session.clean_up().await);
        }
        problems
    }
}
