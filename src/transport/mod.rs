//! Transports that carry client sessions: the WebSocket server speaking the Buttplug JSON wire
//! format. (The in-process path needs no transport: it feeds sessions typed messages directly.)

pub mod websocket;
