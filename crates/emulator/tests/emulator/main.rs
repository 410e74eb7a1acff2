//! Emulator integration tests: real HTTP, hand-signed requests.

mod admin;
mod alibaba;
mod faults;
mod hostile;
mod huawei;
mod state_machine;
mod support;
mod vectors;
