//! All integration tests, in one binary: each module is one area of behaviour, against real
//! HTTP servers on 127.0.0.1.

mod util;

mod audit;
mod batch;
mod check;
mod cli;
mod crawl;
mod hostile;
mod member;
mod politeness;
mod props;
mod render;
mod report;
mod resume;
mod scope;
mod scripts;
mod stacks;
mod tls;
mod weekly;
mod workbook;
