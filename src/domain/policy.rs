//! Authorisation: the one place that answers "may this principal do this action on this
//! object" (DESIGN §5). Every route declares a coarse [`RoutePolicy`]; handlers then ask
//! [`decide`] about the concrete object, which is where organisation scoping happens.
//! Pure: the web layer loads the principal and the object, this module only judges.

use serde::Serialize;

use super::org::OrgKind;
use super::role::Role;

/// Where an organisation sits, as much as scoping needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OrgRef {
    pub id: i64,
    pub kind: OrgKind,
    /// The evaluation body the organisation belongs to (itself for a body), `None` for
    /// the regulator.
    pub body_id: Option<i64>,
}

/// One role held at one organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub role: Role,
    pub org: OrgRef,
}

/// The authenticated caller.
#[derive(Debug, Clone, Serialize)]
pub struct Principal {
    pub user_id: i64,
    pub login: String,
    pub display_name: String,
    pub home_org: OrgRef,
    pub grants: Vec<Grant>,
    pub must_change_password: bool,
}

impl Principal {
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    pub fn is_regulator_admin(&self) -> bool {
        self.has_role(Role::RegulatorAdmin)
    }

    /// Holds `role` at `org` itself, or anywhere in the body `org` belongs to.
    fn holds_at(&self, role: Role, org: &OrgRef) -> bool {
        self.grants.iter().any(|g| {
            g.role == role
                && (g.org.id == org.id || (org.body_id.is_some() && g.org.body_id == org.body_id))
        })
    }

    /// Holds `role` at the body that `org` belongs to.
    fn has_role_in_body(&self, role: Role, org: &OrgRef) -> bool {
        let Some(body) = org.body_id else {
            return false;
        };
        self.grants
            .iter()
            .any(|g| g.role == role && g.org.body_id == Some(body))
    }
}

/// What a route requires before its handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoutePolicy {
    /// Anyone, signed in or not (login page, health, public verification).
    Public,
    /// Any signed-in account; the handler scopes what it shows to the caller.
    SignedIn,
    /// A signed-in account holding at least one of these roles somewhere; the handler
    /// then asks [`decide`] about the concrete object.
    AnyRole(&'static [Role]),
    /// A candidate's exam-day session (admission number and ID number), which is not
    /// an account: the handler acts on that candidate's own attempt only.
    Examinee,
}

impl RoutePolicy {
    pub fn admits(&self, principal: Option<&Principal>) -> Admission {
        match (self, principal) {
            (RoutePolicy::Public, _) => Admission::Admitted,
            // Judged by the web layer from the exam session, not from an account.
            (RoutePolicy::Examinee, _) => Admission::Unauthenticated,
            (_, None) => Admission::Unauthenticated,
            (RoutePolicy::SignedIn, Some(_)) => Admission::Admitted,
            (RoutePolicy::AnyRole(roles), Some(p)) => {
                if roles.iter().any(|r| p.has_role(*r)) {
                    Admission::Admitted
                } else {
                    Admission::Forbidden
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    Unauthenticated,
    Forbidden,
}

pub const ADMINS: &[Role] = &[Role::RegulatorAdmin, Role::BodyAdmin];
pub const REGULATOR: &[Role] = &[Role::RegulatorAdmin];

/// Object-level actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See an organisation and its children.
    ViewOrg,
    /// Create a child organisation under this one.
    CreateChildOrg(OrgKind),
    /// Change an evaluation body's status or filed scope (备案): regulator only.
    FileBody,
    /// See the accounts of this organisation.
    ViewUsers,
    /// Create an account at this organisation, or grant this role here.
    GrantRole(Role),
    /// Read a person's full document number (always audited).
    RevealDocument,
    /// Read the audit log.
    ViewAudit,
    /// Read the items (and keys) of a bank owned by this organisation.
    ReadBank,
    /// Import items into, or write items of, a bank owned by this organisation.
    AuthorBank,
    /// Review items of a bank owned by this organisation.
    ReviewBank,
    /// Maintain the occupation and shortage catalogues, standards, and bank sharing.
    ManageCatalogue,
    /// Plan assessments of this body: sessions, roster, staff, papers.
    PlanExams,
    /// Approve a body's plan before it opens (where the regulator requires it).
    ApprovePlan,
    /// See this body's plans (not the candidates' answers). Inspectors see only the
    /// plans they are dispatched to, which is an assignment, not a role.
    ViewPlans,
    /// See one plan of this body: its body's admins and the regulator, and a quality
    /// inspector dispatched to it (`inspector_assigned`).
    ViewPlan { inspector_assigned: bool },
    /// File findings on a plan of this body: only an inspector dispatched to it.
    FileFinding { inspector_assigned: bool },
    /// Act on a room (session) of this body as its proctor: a proctor assigned to the
    /// session who still holds the proctor role at the body (someone who moved to
    /// another body loses the room at once), or the body's admin.
    ProctorSession { assigned: bool },
    /// Grant or revoke `role` here for an account; never one's own (a body admin could
    /// otherwise make themselves a bank author and read keys).
    ChangeRoles { role: Role, own_account: bool },
    /// Mark the tasks of a session as one of its panel: an assessor assigned to the
    /// session who still holds the assessor role at the body (or the body's admin, who
    /// sees but does not mark).
    AssessSession { assigned: bool },
    /// Submit marks, arbitrate or correct in a session: only its assigned assessor who
    /// holds the assessor role at the body now (a body admin sees marking, never marks).
    MarkSession { assigned: bool },
    /// Publish a plan's results: the body's admins.
    PublishResults,
    /// Ask for, approve or reject the issuance of this body's certificates: its admins
    /// (two different ones, neither an examiner of the candidates: `domain::certificate`).
    IssueCertificates,
    /// Suspend, reinstate or revoke a certificate of this body: its admins and the
    /// regulator.
    CertificateStatus,
    /// Record credit events, confirm or reject inspectors' proposals, decide appeals,
    /// draw inspection samples (DESIGN §3.8): the regulator.
    KeepCredit,
}

/// Whether an account may be assigned to serve as `role` for `target` (an evaluation
/// body): proctors must hold the proctor role at that body; quality inspectors hold
/// their role at the regulator or at a body. Judged on the assignee's grants, not the
/// caller's.
pub fn may_serve(assignee: &[Grant], role: Role, target: &OrgRef) -> Result<(), Denied> {
    let ok = match role {
        Role::Proctor | Role::Assessor => assignee
            .iter()
            .any(|g| g.role == role && target.body_id.is_some() && g.org.body_id == target.body_id),
        Role::QualityInspector => assignee.iter().any(|g| g.role == role),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Denied)
    }
}

/// Why an action was refused; shown to the caller as a plain 403/404.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Denied;

/// Judges `action` on the organisation `target` for `principal`.
pub fn decide(principal: &Principal, action: Action, target: &OrgRef) -> Result<(), Denied> {
    let regulator = principal.is_regulator_admin();
    let body_admin = principal.has_role_in_body(Role::BodyAdmin, target);
    let inspector = principal.has_role_in_body(Role::QualityInspector, target)
        || principal
            .grants
            .iter()
            .any(|g| g.role == Role::QualityInspector && g.org.kind == OrgKind::Regulator);
    let allowed = match action {
        Action::ViewOrg => regulator || body_admin || inspector,
        Action::CreateChildOrg(kind) => match kind {
            OrgKind::Regulator => false,
            OrgKind::Body => regulator && target.kind == OrgKind::Regulator,
            OrgKind::TestSite | OrgKind::Room => {
                (regulator || body_admin) && kind.parent_kind() == Some(target.kind)
            }
        },
        Action::FileBody => regulator && target.kind == OrgKind::Body,
        Action::ViewUsers => regulator || body_admin,
        Action::GrantRole(role) => {
            let place_ok = role.held_at().contains(&target.kind);
            let who_ok = match role {
                // Only the regulator appoints regulator staff, inspectors and body admins.
                Role::RegulatorAdmin | Role::QualityInspector | Role::BodyAdmin => regulator,
                _ => regulator || body_admin,
            };
            place_ok && who_ok
        }
        Action::RevealDocument => regulator || body_admin,
        Action::ViewAudit => regulator,
        Action::ReadBank => {
            regulator
                || principal.holds_at(Role::BankAuthor, target)
                || principal.holds_at(Role::BankReviewer, target)
        }
        Action::AuthorBank => {
            principal.holds_at(Role::BankAuthor, target)
                || (regulator && target.kind == OrgKind::Regulator)
        }
        Action::ReviewBank => principal.holds_at(Role::BankReviewer, target),
        Action::ManageCatalogue => regulator,
        Action::PlanExams => body_admin,
        Action::ApprovePlan => regulator,
        // Inspectors see the plans they are dispatched to (checked by assignment).
        Action::ViewPlans => regulator || body_admin,
        Action::ViewPlan { inspector_assigned } => {
            regulator
                || body_admin
                || (inspector_assigned && principal.has_role(Role::QualityInspector))
        }
        Action::FileFinding { inspector_assigned } => {
            inspector_assigned && principal.has_role(Role::QualityInspector)
        }
        Action::ProctorSession { assigned } => {
            (assigned && principal.has_role_in_body(Role::Proctor, target)) || body_admin
        }
        Action::ChangeRoles { role, own_account } => {
            !own_account && decide(principal, Action::GrantRole(role), target).is_ok()
        }
        Action::PublishResults | Action::IssueCertificates => {
            body_admin && target.kind == OrgKind::Body
        }
        Action::CertificateStatus => regulator || body_admin,
        Action::KeepCredit => regulator,
        Action::AssessSession { assigned } => {
            (assigned && principal.has_role_in_body(Role::Assessor, target)) || body_admin
        }
        Action::MarkSession { assigned } => {
            assigned && principal.has_role_in_body(Role::Assessor, target)
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(Denied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REG: OrgRef = OrgRef {
        id: 1,
        kind: OrgKind::Regulator,
        body_id: None,
    };
    const BODY_A: OrgRef = OrgRef {
        id: 2,
        kind: OrgKind::Body,
        body_id: Some(2),
    };
    const SITE_A: OrgRef = OrgRef {
        id: 3,
        kind: OrgKind::TestSite,
        body_id: Some(2),
    };
    const BODY_B: OrgRef = OrgRef {
        id: 4,
        kind: OrgKind::Body,
        body_id: Some(4),
    };

    fn principal(grants: &[(Role, OrgRef)]) -> Principal {
        Principal {
            user_id: 9,
            login: "u".into(),
            display_name: "u".into(),
            home_org: grants[0].1,
            grants: grants
                .iter()
                .map(|(role, org)| Grant {
                    role: *role,
                    org: *org,
                })
                .collect(),
            must_change_password: false,
        }
    }

    #[test]
    fn only_an_assigned_assessor_of_the_body_marks() {
        let admin = principal(&[(Role::BodyAdmin, BODY_A)]);
        let assessor = principal(&[(Role::Assessor, BODY_A)]);
        let elsewhere = principal(&[(Role::Assessor, BODY_B)]);
        let sees = |p: &Principal, assigned| decide(p, Action::AssessSession { assigned }, &BODY_A);
        let marks = |p: &Principal, assigned| decide(p, Action::MarkSession { assigned }, &BODY_A);
        assert!(sees(&admin, false).is_ok() && marks(&admin, true).is_err());
        assert!(marks(&assessor, true).is_ok() && marks(&assessor, false).is_err());
        assert!(marks(&elsewhere, true).is_err() && sees(&elsewhere, true).is_err());
    }

    #[test]
    fn a_body_admin_is_confined_to_their_body() {
        let p = principal(&[(Role::BodyAdmin, BODY_A)]);
        assert!(decide(&p, Action::ViewOrg, &SITE_A).is_ok());
        assert!(decide(&p, Action::CreateChildOrg(OrgKind::Room), &SITE_A).is_ok());
        assert!(decide(&p, Action::ViewOrg, &BODY_B).is_err());
        assert!(decide(&p, Action::GrantRole(Role::Candidate), &BODY_B).is_err());
        assert!(decide(&p, Action::GrantRole(Role::Candidate), &BODY_A).is_ok());
        assert!(decide(&p, Action::GrantRole(Role::BodyAdmin), &BODY_A).is_err());
        assert!(decide(&p, Action::FileBody, &BODY_A).is_err());
        assert!(decide(&p, Action::ViewAudit, &REG).is_err());
        assert!(decide(&p, Action::CreateChildOrg(OrgKind::Body), &REG).is_err());
    }

    #[test]
    fn the_regulator_files_bodies_and_appoints_their_admins() {
        let p = principal(&[(Role::RegulatorAdmin, REG)]);
        assert!(decide(&p, Action::CreateChildOrg(OrgKind::Body), &REG).is_ok());
        assert!(decide(&p, Action::FileBody, &BODY_B).is_ok());
        assert!(decide(&p, Action::GrantRole(Role::BodyAdmin), &BODY_B).is_ok());
        // Roles only where they make sense: no candidates at the regulator.
        assert!(decide(&p, Action::GrantRole(Role::Candidate), &REG).is_err());
        // Rooms hang under sites, not directly under bodies.
        assert!(decide(&p, Action::CreateChildOrg(OrgKind::Room), &BODY_B).is_err());
    }

    #[test]
    fn candidates_and_staff_administer_nothing() {
        for role in [
            Role::Candidate,
            Role::Proctor,
            Role::Assessor,
            Role::BankAuthor,
        ] {
            let p = principal(&[(role, BODY_A)]);
            assert!(decide(&p, Action::ViewUsers, &BODY_A).is_err());
            assert!(decide(&p, Action::RevealDocument, &BODY_A).is_err());
            assert_eq!(
                RoutePolicy::AnyRole(ADMINS).admits(Some(&p)),
                Admission::Forbidden
            );
        }
        assert_eq!(
            RoutePolicy::SignedIn.admits(None),
            Admission::Unauthenticated
        );
    }

    #[test]
    fn bank_contents_are_for_its_authors_reviewers_and_the_regulator() {
        let author = principal(&[(Role::BankAuthor, BODY_A)]);
        let reviewer = principal(&[(Role::BankReviewer, REG)]);
        let admin = principal(&[(Role::BodyAdmin, BODY_A)]);
        assert!(decide(&author, Action::ReadBank, &BODY_A).is_ok());
        assert!(decide(&author, Action::AuthorBank, &BODY_A).is_ok());
        assert!(decide(&author, Action::ReviewBank, &BODY_A).is_err());
        assert!(decide(&author, Action::ReadBank, &BODY_B).is_err());
        assert!(decide(&author, Action::ReadBank, &REG).is_err());
        assert!(decide(&reviewer, Action::ReviewBank, &REG).is_ok());
        assert!(decide(&reviewer, Action::ReadBank, &BODY_A).is_err());
        // A body admin runs the body but does not read its bank's keys.
        assert!(decide(&admin, Action::ReadBank, &BODY_A).is_err());
        let reg = principal(&[(Role::RegulatorAdmin, REG)]);
        assert!(decide(&reg, Action::ReadBank, &BODY_A).is_ok());
        assert!(decide(&reg, Action::AuthorBank, &REG).is_ok());
        assert!(decide(&reg, Action::ReviewBank, &REG).is_err());
    }

    #[test]
    fn assignments_decide_rooms_plans_and_findings() {
        let proctor = principal(&[(Role::Proctor, SITE_A)]);
        let assigned = Action::ProctorSession { assigned: true };
        let unassigned = Action::ProctorSession { assigned: false };
        assert!(decide(&proctor, assigned, &BODY_A).is_ok());
        assert!(decide(&proctor, unassigned, &BODY_A).is_err());
        // An assignment at another body does not count once the role is held elsewhere.
        assert!(decide(&proctor, assigned, &BODY_B).is_err());
        let admin = principal(&[(Role::BodyAdmin, BODY_A)]);
        assert!(decide(&admin, unassigned, &BODY_A).is_ok());
        assert!(decide(&admin, unassigned, &BODY_B).is_err());
        let inspector = principal(&[(Role::QualityInspector, REG)]);
        let dispatched = Action::ViewPlan {
            inspector_assigned: true,
        };
        assert!(decide(&inspector, dispatched, &BODY_B).is_ok());
        assert!(decide(
            &inspector,
            Action::ViewPlan {
                inspector_assigned: false
            },
            &BODY_B
        )
        .is_err());
        assert!(decide(
            &inspector,
            Action::FileFinding {
                inspector_assigned: true
            },
            &BODY_B
        )
        .is_ok());
        // The body's admin sees the plan but files no findings on it.
        assert!(decide(
            &admin,
            Action::ViewPlan {
                inspector_assigned: false
            },
            &BODY_A
        )
        .is_ok());
        assert!(decide(
            &admin,
            Action::FileFinding {
                inspector_assigned: true
            },
            &BODY_A
        )
        .is_err());
    }

    #[test]
    fn nobody_changes_their_own_roles() {
        let reg = principal(&[(Role::RegulatorAdmin, REG)]);
        let grant = |own_account| Action::ChangeRoles {
            role: Role::BankAuthor,
            own_account,
        };
        assert!(decide(&reg, grant(false), &BODY_A).is_ok());
        assert!(decide(&reg, grant(true), &BODY_A).is_err());
    }

    #[test]
    fn only_the_bodys_proctors_serve_in_its_rooms() {
        let grants = |role, org| vec![Grant { role, org }];
        assert!(may_serve(&grants(Role::Proctor, SITE_A), Role::Proctor, &BODY_A).is_ok());
        assert!(may_serve(&grants(Role::Proctor, BODY_B), Role::Proctor, &BODY_A).is_err());
        assert!(may_serve(&grants(Role::BodyAdmin, BODY_A), Role::Proctor, &BODY_A).is_err());
        assert!(may_serve(
            &grants(Role::QualityInspector, REG),
            Role::QualityInspector,
            &BODY_A
        )
        .is_ok());
        assert!(may_serve(
            &grants(Role::Proctor, BODY_A),
            Role::QualityInspector,
            &BODY_A
        )
        .is_err());
    }

    #[test]
    fn inspectors_see_the_bodies_they_are_dispatched_to() {
        let p = principal(&[(Role::QualityInspector, BODY_A)]);
        assert!(decide(&p, Action::ViewOrg, &SITE_A).is_ok());
        assert!(decide(&p, Action::ViewOrg, &BODY_B).is_err());
        assert!(decide(&p, Action::ViewUsers, &BODY_A).is_err());
    }
}
