//! Integration tests: real HTTP requests to the Worker running in workerd (through
//! `wrangler dev`) against a throwaway local D1 database. See `helpers.rs` for the set-up.

mod helpers;

mod authorization;
mod body;
mod capture;
mod contract;
mod cors;
mod crosscheck;
mod history;
mod limits;
mod logging;
mod malformed;
mod openapi;
mod paging;
mod retention;
mod routing;
