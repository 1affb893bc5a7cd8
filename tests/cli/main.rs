//! Integration tests for the `crm` command line: one test binary, one module
//! per command area, every test on its own temporary store (see `common`).

mod common;

mod add;
mod agenda;
mod bad_toml;
mod check;
mod cron;
mod demo;
mod departures;
mod digest;
mod dirty;
mod edit;
mod export;
mod find;
mod guard;
mod hooks;
mod import;
mod index;
mod index_versions;
mod init;
mod list;
mod log;
mod pool;
mod pty;
mod readme;
mod reassign;
mod report_html;
mod report_lang;
mod report_mail;
mod reports;
mod seal;
mod setups;
mod shell;
mod signing;
mod snapshots;
mod staff;
mod stress;
mod sync;
mod tables;
mod touch;
mod unreadable;
mod validity;
mod verify;
mod whoami;
