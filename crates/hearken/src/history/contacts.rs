//! Contacts' attributes and the links between contacts.
//!
//! A link is a record with evidence (who, why), never a merge: identities and
//! conversations keep their contact, and the person is read as the contacts joined by
//! active links. Suggestions are computed from shared emails, phones and handles and only
//! ever shown; nothing here applies one.

use serde::Deserialize;

use super::HistoryError;
use crate::domain::{Actor, WorkspaceId};
use crate::storage::{AttributeRow, DynStore, LinkRow, NewAttribute, NewLink};

/// Why two contacts are linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkReason {
    /// An agent judged them the same person.
    Manual,
    /// Both carry the same verified email.
    VerifiedEmail,
    /// The customer confirmed both handles are theirs.
    CustomerConfirmed,
}

impl LinkReason {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkReason::Manual => "manual",
            LinkReason::VerifiedEmail => "verified_email",
            LinkReason::CustomerConfirmed => "customer_confirmed",
        }
    }
}

/// An attribute as it arrives from a request.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct AttributeRequest {
    /// `email`, `phone` or `custom`.
    pub kind: String,
    /// The custom attribute's name; ignored for email and phone.
    #[serde(default)]
    pub name: Option<String>,
    pub value: String,
    #[serde(default)]
    pub verified: bool,
}

/// A link as it arrives from a request.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct LinkRequest {
    /// The contact to link into this one.
    pub linked_contact_id: i64,
    pub reason: LinkReason,
    /// What shows they are the same person (free text, kept with the link).
    #[serde(default)]
    pub evidence: String,
}

/// Validates and normalises an attribute: emails trimmed and lowercased, phones reduced
/// to digits with an optional leading `+`, custom names 1..=64 characters.
pub fn normalise(req: &AttributeRequest) -> Result<NewAttribute, HistoryError> {
    let value = req.value.trim();
    let invalid = |m: &str| HistoryError::Invalid(m.to_owned());
    let (name, value) = match req.kind.as_str() {
        "email" => {
            let v = value.to_lowercase();
            let ok = v.len() <= 254
                && v.split_once('@')
                    .is_some_and(|(a, d)| !a.is_empty() && d.contains('.'))
                && !v.chars().any(char::is_whitespace);
            if !ok {
                return Err(invalid("the email address is not valid"));
            }
            ("email".to_owned(), v)
        }
        "phone" => {
            let digits: String = value.chars().filter(char::is_ascii_digit).collect();
            if !(6..=15).contains(&digits.len()) {
                return Err(invalid("the phone number needs 6 to 15 digits"));
            }
            let plus = if value.starts_with('+') { "+" } else { "" };
            ("phone".to_owned(), format!("{plus}{digits}"))
        }
        "custom" => {
            let name = req.name.as_deref().unwrap_or("").trim().to_owned();
            if name.is_empty() || name.chars().count() > 64 {
                return Err(invalid(
                    "a custom attribute needs a name of 1 to 64 characters",
                ));
            }
            if value.chars().count() > 1000 {
                return Err(invalid("the value is longer than 1000 characters"));
            }
            (name, value.to_owned())
        }
        _ => return Err(invalid("kind must be email, phone or custom")),
    };
    Ok(NewAttribute {
        kind: req.kind.clone(),
        name,
        value,
        verified: req.verified,
    })
}

/// Adds an attribute to a contact.
pub async fn add_attribute(
    store: &DynStore,
    ws: WorkspaceId,
    contact_id: i64,
    req: &AttributeRequest,
    actor: &Actor,
) -> Result<AttributeRow, HistoryError> {
    let attr = normalise(req)?;
    Ok(store.add_attribute(ws, contact_id, &attr, actor).await?)
}

/// Links `req.linked_contact_id` into `contact_id`, checking the evidence the reason
/// claims: a verified-email link needs the same verified email on both contacts.
pub async fn link(
    store: &DynStore,
    ws: WorkspaceId,
    contact_id: i64,
    req: &LinkRequest,
    actor: &Actor,
) -> Result<LinkRow, HistoryError> {
    if req.linked_contact_id == contact_id {
        return Err(HistoryError::Invalid(
            "a contact cannot be linked to itself".into(),
        ));
    }
    if req.evidence.chars().count() > 2000 {
        return Err(HistoryError::Invalid(
            "the evidence is longer than 2000 characters".into(),
        ));
    }
    let person = store.person(ws, contact_id).await?;
    if person.contains(&req.linked_contact_id) {
        return Err(HistoryError::Invalid(
            "these contacts are already linked".into(),
        ));
    }
    let mut evidence = req.evidence.trim().to_owned();
    if req.reason == LinkReason::VerifiedEmail {
        let shared = shared_verified_email(store, ws, contact_id, req.linked_contact_id).await?;
        let Some(email) = shared else {
            return Err(HistoryError::Invalid(
                "the contacts share no verified email; link them manually instead".into(),
            ));
        };
        if evidence.is_empty() {
            evidence = format!("same verified email {email}");
        }
    }
    let new = NewLink {
        contact_id,
        linked_contact_id: req.linked_contact_id,
        reason: req.reason.as_str().to_owned(),
        evidence,
    };
    Ok(store.link_contacts(ws, &new, actor).await?)
}

async fn shared_verified_email(
    store: &DynStore,
    ws: WorkspaceId,
    a: i64,
    b: i64,
) -> Result<Option<String>, HistoryError> {
    let attrs = store.attributes_of(ws, &[a, b]).await?;
    let verified = |c: i64| {
        attrs
            .iter()
            .filter(move |x| x.contact_id == c && x.kind == "email" && x.verified == 1)
            .map(|x| x.value.clone())
    };
    let of_b: Vec<String> = verified(b).collect();
    Ok(verified(a).find(|e| of_b.contains(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(kind: &str, value: &str) -> AttributeRequest {
        AttributeRequest {
            kind: kind.into(),
            name: None,
            value: value.into(),
            verified: false,
        }
    }

    #[test]
    fn emails_and_phones_are_normalised() {
        assert_eq!(
            normalise(&req("email", " Shared@Example.ORG "))
                .unwrap()
                .value,
            "shared@example.org"
        );
        assert_eq!(
            normalise(&req("phone", "+44 (20) 7946-0958"))
                .unwrap()
                .value,
            "+442079460958"
        );
        assert!(normalise(&req("email", "nope")).is_err());
        assert!(normalise(&req("colour", "x")).is_err());
    }
}
