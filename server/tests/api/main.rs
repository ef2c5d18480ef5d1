//! Black-box tests of the comment server: each test spawns the application on port 0 against
//! a fresh temporary database and talks HTTP to it. Set TEST_LOG=1 to see the server's logs.

mod helpers;
mod identity;

mod fediverse;
mod feeds_and_readers;

mod import_ledger;
mod imports;

mod languages;

mod live;
mod metrics;

mod admin;
mod attack_classes;
mod backups;
mod bad_input;
mod binary;
mod cache;
mod comments;
mod compression;
mod counts_preview_config;
mod crash;
mod database_outage;
mod doubled_posts;
mod edit_delete;
mod embed;
mod first_paint;
mod notifications;
mod openapi;
mod properties;
mod replicas;
mod security;
mod sites;
mod spam;
mod store_conformance;
mod upgrades;
mod votes;
