//! The Slint screens of the salon apps, generated from `ui/*.slint`.
slint::include_modules!();
