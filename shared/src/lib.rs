//! dendrite-core (placeholder while being written)
#![no_std]
