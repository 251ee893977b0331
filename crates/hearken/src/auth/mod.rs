//! Who is asking and what they may do: passwords, sessions, API tokens, CSRF and login
//! rate limiting. Route handlers get a `Principal` and check a `Permission` on it.

pub mod limiter;
pub mod password;
pub mod principal;
pub mod secret;
pub mod users;

pub use principal::Principal;
