//! `ferrum`: the broker binary.
//!
//! With no arguments it starts on the embedded default (STOMP on
//! 0.0.0.0:61613, OpenWire's 61616 reserved, data in ./data) and runs until
//! SIGINT or SIGTERM.

mod config;
mod openwire;
mod server;
mod shutdown;
mod stomp;
mod transport;

use anyhow::Context;
use clap::Parser;

use crate::config::{Config, OpenwireTool, Tool};

fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    if let Some(Tool::Openwire {
        tool: OpenwireTool::Dump { file, peer },
    }) = &config.command
    {
        return ferrum_tools::dump::run(file, peer.as_deref());
    }
    if let Some(Tool::Perf { tool }) = &config.command {
        // A failed run prints why on stderr (one line, no backtrace) and
        // exits with status 1, which scripts and the interop tests check.
        if let Err(e) = ferrum_tools::perf::run(tool) {
            eprintln!("ferrum perf: FAILED: {e:#}");
            std::process::exit(1);
        }
        return Ok(());
    }
    init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ferrum")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(server::run(config))
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FERRUM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
}
