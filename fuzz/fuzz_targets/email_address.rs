//! The subscriber's address (`domain::EmailAddress::parse`), through its public signature only.
//!
//! Properties: nothing panics; an address it accepts is accepted again, unchanged (what the
//! store keeps parses to itself), and lettre accepts it too (the SMTP side can send to it).
#![no_main]

use eventail::domain::EmailAddress;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    let Ok(address) = EmailAddress::parse(raw) else {
        return;
    };
    let again = EmailAddress::parse(address.as_str());
    assert!(
        again.as_ref().ok() == Some(&address),
        "{raw:?} gave {address:?}, which parses to {again:?}"
    );
    assert!(
        address.as_str().parse::<lettre::Address>().is_ok(),
        "{raw:?} gave {address:?}, which lettre refuses"
    );
});
