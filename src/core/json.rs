//! JSON encoding and decoding of Buttplug messages.
