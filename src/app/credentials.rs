//! Certificates that verify themselves (issue 11, beyond the peers): each certificate is
//! also a signed credential (W3C VC 2.0 / Open Badges 3.0, `eddsa-jcs-2022` with the
//! province's Ed25519 key as a `did:key`), downloadable by the holder; revocation and
//! suspension are published as a signed Bitstring Status List; anyone can check a
//! credential's signature offline (`skillcert verify-credential`) or on the public page,
//! which also tells the certificate's status now.

use serde::Serialize;
use serde_json::{json, Value};

use super::{App, Result};
use crate::domain::certificate::{mask_name, CertificateStatus};
use crate::domain::policy::Principal;
use crate::formats::credential;
use crate::store::certificates::Certificate;

fn iso(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The status list's address: every credential points at it.
fn status_list_url(app: &App) -> String {
    format!("{}/credentials/status", app.config.public_url())
}

/// The signed credential of a certificate. The holder's name is masked and no document
/// number is included: the credential travels, and the verification page has the rest.
pub fn credential_of(app: &App, c: &Certificate) -> Value {
    let base = app.config.public_url();
    let kind = match c.kind {
        crate::domain::org::CertificateKind::SkillLevel => "职业技能等级证书",
        crate::domain::org::CertificateKind::VocationalQualification => "职业资格证书",
        crate::domain::org::CertificateKind::SpecialAbility => "专项职业能力证书",
        crate::domain::org::CertificateKind::SpecialOperation => "特种作业操作证",
        crate::domain::org::CertificateKind::Training => "培训合格证书",
    };
    let achievement = match c.level {
        Some(l) => format!("{} {} {}级", c.occupation_code, c.occupation_name, l),
        None => format!("{} {}", c.occupation_code, c.occupation_name),
    };
    let doc = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": format!("{base}/verify/{}", c.number),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": kind,
        "issuer": {"id": format!("{base}/bodies/{}", c.body_id), "type": ["Profile"], "name": c.body_name},
        "validFrom": iso(c.issued_at_ms),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": mask_name(&c.holder_name),
            "achievement": {
                "id": format!("{base}/occupations/{}/{}", c.occupation_code, c.level.unwrap_or(0)),
                "type": ["Achievement"],
                "name": achievement,
                "achievementType": "Certificate",
                "criteria": {"narrative": "通过评价机构组织的职业技能评价，各考核模块成绩均合格。"},
            },
            "result": [{"type": ["Result"], "value": crate::domain::exam::points_text(c.score)}],
        },
        "credentialStatus": {
            "id": format!("{}#{}", status_list_url(app), c.id),
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": c.id.to_string(),
            "statusListCredential": status_list_url(app),
        },
        "certificateNumber": c.number,
    });
    let doc = doc.as_object().cloned().unwrap_or_default();
    credential::sign(doc, &app.keys.credential_key(), &iso(c.issued_at_ms))
}

/// The holder's (or the body's, or the regulator's) credential of a certificate.
pub async fn download(app: &App, p: &Principal, certificate_id: i64) -> Result<Value> {
    let c = super::certificates::certificate(app, p, certificate_id).await?;
    Ok(credential_of(app, &c))
}

/// The signed revocation status list: certificates revoked or suspended have their bit
/// set. Public.
pub async fn status_list(app: &App) -> Result<Value> {
    let set = app.store.withdrawn_certificates().await?;
    let set: Vec<u64> = set.into_iter().map(|id| id as u64).collect();
    let now = iso(crate::now_ms());
    let doc = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": status_list_url(app),
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": app.config.public_url(),
        "validFrom": now,
        "credentialSubject": {
            "id": format!("{}#list", status_list_url(app)),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": credential::encoded_status_list(&set),
        },
    });
    let doc = doc.as_object().cloned().unwrap_or_default();
    Ok(credential::sign(doc, &app.keys.credential_key(), &now))
}

/// The answer to a credential someone presents.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CredentialCheck {
    /// The signature holds.
    pub signature_valid: bool,
    /// It was signed by this system's key.
    pub issued_here: bool,
    /// Why not, when it does not verify.
    pub problem: Option<String>,
    pub number: Option<String>,
    /// The certificate's status now, when it is one of ours.
    pub status: Option<CertificateStatus>,
}

/// Checks a presented credential: its signature (as anyone can, offline) and, for ours,
/// the certificate's status now.
pub async fn check(app: &App, presented: &Value) -> Result<CredentialCheck> {
    let number = presented
        .get("certificateNumber")
        .and_then(Value::as_str)
        .map(str::to_string);
    let ours = credential::did_key(&app.keys.credential_key().verifying_key());
    match credential::verify(presented) {
        Ok(did) => {
            let issued_here = did == ours;
            let status = match (&number, issued_here) {
                (Some(n), true) => app.store.certificate_by_number(n).await?.map(|c| c.status),
                _ => None,
            };
            Ok(CredentialCheck {
                signature_valid: true,
                issued_here,
                problem: None,
                number,
                status,
            })
        }
        Err(e) => Ok(CredentialCheck {
            signature_valid: false,
            issued_here: false,
            problem: Some(e.code().to_string()),
            number,
            status: None,
        }),
    }
}

/// The issuer key as a `did:key` (printed for operators; public).
pub fn issuer_did(app: &App) -> String {
    credential::did_key(&app.keys.credential_key().verifying_key())
}
