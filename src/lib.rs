//! A Cloudflare Worker that returns a user's own history of changes to their basic information.
//!
//! `POST /user/info/get_user_info_modification_log` answers only a caller who proves themselves
//! twice: with a bearer token and with their password, typed again. The contract is in
//! `docs/API.md`.
//!
//! The modules other than `handler` and `store` hold pure logic with no Workers types, so they
//! build and test natively and the operator tools in `admin/` share them.

#![warn(missing_docs)]

pub mod auth;
pub mod config;
pub mod cors;
pub mod error;
pub mod modification_log;
pub mod paging;
pub mod request;
pub mod retention;

#[cfg(target_arch = "wasm32")]
mod handler;
#[cfg(target_arch = "wasm32")]
mod store;

#[cfg(target_arch = "wasm32")]
#[worker::event(fetch)]
async fn fetch(
    req: worker::Request,
    env: worker::Env,
    _ctx: worker::Context,
) -> worker::Result<worker::Response> {
    handler::handle(req, env).await
}

/// The Cron Trigger of `wrangler.toml`: applies the log retention policy.
#[cfg(target_arch = "wasm32")]
#[worker::event(scheduled)]
async fn scheduled(
    _event: worker::ScheduledEvent,
    env: worker::Env,
    _ctx: worker::ScheduleContext,
) {
    handler::apply_retention(env).await
}
