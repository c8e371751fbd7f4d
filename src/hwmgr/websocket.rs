//! WebSocket devices.
