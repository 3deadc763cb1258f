//! One conformance suite for the store, run against SQLite and against PostgreSQL (when
//! `SKILLCERT_TEST_POSTGRES_URL` is set; otherwise the PostgreSQL half says it skipped).
//! Each case gets a fresh database.

mod common;

use std::sync::Arc;

use skillcert::domain::audit::AuditEvent;
use skillcert::domain::identity::DocumentType;
use skillcert::domain::org::{
    BodyType, CertificateKind, Level, OccupationCode, OrgKind, OrgStatus, ScopeEntry,
};
use skillcert::domain::role::Role;
use skillcert::store::{
    AuditQuery, Bootstrap, NewOrg, NewPerson, NewSession, NewUser, OrgFilter, Store, StoreError,
    UserFilter,
};

fn ev(action: &str) -> AuditEvent {
    AuditEvent {
        at_ms: 1_800_000_000_000,
        actor_user_id: None,
        actor: "test".into(),
        action: action.into(),
        object_type: "test".into(),
        object_id: String::new(),
        org_id: None,
        details: "{}".into(),
    }
}

async fn bootstrap(s: &dyn Store) -> i64 {
    s.bootstrap(Bootstrap {
        regulator_name: "监管".into(),
        admin_login: "admin".into(),
        admin_display_name: "Admin".into(),
        admin_password_hash: "$argon2id$dummy".into(),
        must_change_password: true,
        now_ms: 1_800_000_000_000,
    })
    .await
    .unwrap()
    .expect("first bootstrap creates the admin")
}

fn body(name: &str, parent: i64) -> NewOrg {
    NewOrg {
        kind: OrgKind::Body,
        parent_id: Some(parent),
        name: name.into(),
        name_en: None,
        body_type: Some(BodyType::SocialOrganisation),
        body_code: Some("0000".into()),
        province_code: Some("32".into()),
        site_code: Some("320100".into()),
        address: None,
        capacity: None,
    }
}

fn child(kind: OrgKind, name: &str, parent: i64) -> NewOrg {
    NewOrg {
        kind,
        parent_id: Some(parent),
        name: name.into(),
        name_en: None,
        body_type: None,
        body_code: None,
        province_code: None,
        site_code: None,
        address: None,
        capacity: None,
    }
}

fn person(lookup: &str) -> NewPerson {
    NewPerson {
        name: "张三".into(),
        document_type: DocumentType::ResidentId,
        document_cipher: vec![1, 2, 3],
        document_lookup: lookup.into(),
        document_masked: "1101**********002X".into(),
        sex: Some("female".into()),
        birth_date: Some("1949-12-31".into()),
    }
}

fn new_user(login: &str, org: i64, roles: Vec<Role>, person: Option<NewPerson>) -> NewUser {
    NewUser {
        login: login.into(),
        display_name: login.into(),
        password_hash: "$argon2id$x".into(),
        org_id: org,
        person,
        roles,
        granted_by: None,
        must_change_password: false,
        link_body: None,
    }
}

async fn regulator_id(s: &dyn Store) -> i64 {
    s.orgs(OrgFilter {
        kind: Some(OrgKind::Regulator),
        ..Default::default()
    })
    .await
    .unwrap()[0]
        .id
}

async fn bootstrap_runs_once(s: Arc<dyn Store>) {
    let admin = bootstrap(s.as_ref()).await;
    let again = s
        .bootstrap(Bootstrap {
            regulator_name: "x".into(),
            admin_login: "admin2".into(),
            admin_display_name: "x".into(),
            admin_password_hash: "x".into(),
            must_change_password: false,
            now_ms: 0,
        })
        .await
        .unwrap();
    assert_eq!(again, None);
    let p = s.principal(admin).await.unwrap().unwrap();
    assert!(p.is_regulator_admin());
    assert!(p.must_change_password);
    assert_eq!(s.audit_head().await.unwrap().0, 1);
}

async fn organisations_follow_the_hierarchy(s: Arc<dyn Store>) {
    bootstrap(s.as_ref()).await;
    let reg = regulator_id(s.as_ref()).await;
    let b = s
        .create_org(body("南京技能评价中心", reg), ev("org.create"))
        .await
        .unwrap();
    assert_eq!(b.body_id, Some(b.id));
    let site = s
        .create_org(child(OrgKind::TestSite, "鼓楼考点", b.id), ev("org.create"))
        .await
        .unwrap();
    assert_eq!(site.body_id, Some(b.id));
    let room = s
        .create_org(child(OrgKind::Room, "101", site.id), ev("org.create"))
        .await
        .unwrap();
    assert_eq!(room.body_id, Some(b.id));
    // A room directly under a body is refused and writes nothing.
    let head = s.audit_head().await.unwrap();
    let e = s
        .create_org(child(OrgKind::Room, "102", b.id), ev("org.create"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::Invalid {
                field: "parent_id",
                code: "org.parent_kind"
            }
        ),
        "{e:?}"
    );
    assert_eq!(s.audit_head().await.unwrap(), head);
    // Same name under the same parent is a field conflict.
    let e = s
        .create_org(child(OrgKind::TestSite, "鼓楼考点", b.id), ev("org.create"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Conflict { field: "name", .. }),
        "{e:?}"
    );
    let e = s
        .create_org(child(OrgKind::TestSite, "x", 999_999), ev("org.create"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::Invalid {
                field: "parent_id",
                ..
            }
        ),
        "{e:?}"
    );
    let tree = s
        .orgs(OrgFilter {
            body_id: Some(b.id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(tree.len(), 3);
    let suspended = s
        .set_org_status(b.id, OrgStatus::Suspended, ev("org.status"))
        .await
        .unwrap();
    assert_eq!(suspended.status, OrgStatus::Suspended);
    assert!(s
        .set_org_status(site.id, OrgStatus::Suspended, ev("org.status"))
        .await
        .is_err());
    assert!(matches!(s.org(987_654).await, Err(StoreError::NotFound)));
}

async fn filed_scope_is_replaced_whole(s: Arc<dyn Store>) {
    bootstrap(s.as_ref()).await;
    let reg = regulator_id(s.as_ref()).await;
    let b = s
        .create_org(body("B", reg), ev("org.create"))
        .await
        .unwrap();
    let entry = |code: &str, level: u8, kind| ScopeEntry {
        occupation: OccupationCode::parse(code, 2022).unwrap(),
        level: Level::new(level),
        certificate_kind: kind,
    };
    let first = vec![
        entry("4-10-01-05", 5, CertificateKind::SkillLevel),
        entry("6-31-01-03", 4, CertificateKind::SkillLevel),
    ];
    s.set_body_scope(b.id, first.clone(), ev("org.scope"))
        .await
        .unwrap();
    let mut got = s.body_scope(b.id).await.unwrap();
    got.sort();
    let mut want = first;
    want.sort();
    assert_eq!(got, want);
    let special = ScopeEntry {
        occupation: OccupationCode::parse("4-10-01-05", 2022).unwrap(),
        level: None,
        certificate_kind: CertificateKind::SpecialAbility,
    };
    s.set_body_scope(b.id, vec![special.clone()], ev("org.scope"))
        .await
        .unwrap();
    assert_eq!(s.body_scope(b.id).await.unwrap(), vec![special]);
}

async fn accounts_and_real_name_records(s: Arc<dyn Store>) {
    bootstrap(s.as_ref()).await;
    let reg = regulator_id(s.as_ref()).await;
    let a = s
        .create_org(body("A", reg), ev("org.create"))
        .await
        .unwrap();
    let b = s
        .create_org(body("B", reg), ev("org.create"))
        .await
        .unwrap();
    let cand = s
        .create_user(
            new_user(
                "zhangsan",
                a.id,
                vec![Role::Candidate],
                Some(person("lookup-1")),
            ),
            ev("user.create"),
        )
        .await
        .unwrap();
    assert!(cand.person_id.is_some());
    let p = s.person(cand.person_id.unwrap()).await.unwrap();
    assert_eq!(p.document_masked, "1101**********002X");
    // One person, one record: same look-up hash elsewhere is a conflict, and nothing is written.
    let head = s.audit_head().await.unwrap();
    let e = s
        .create_user(
            new_user(
                "other",
                b.id,
                vec![Role::Candidate],
                Some(person("lookup-1")),
            ),
            ev("user.create"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::Conflict {
                field: "document_number",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(s.credentials("other").await.unwrap().is_none());
    assert_eq!(s.audit_head().await.unwrap(), head);
    let e = s
        .create_user(
            new_user("zhangsan", b.id, vec![Role::Proctor], None),
            ev("user.create"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Conflict { field: "login", .. }),
        "{e:?}"
    );
    // Roles only where they can be held.
    let e = s
        .create_user(
            new_user("cand2", reg, vec![Role::Candidate], None),
            ev("user.create"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::Invalid {
                field: "org_id",
                ..
            }
        ),
        "{e:?}"
    );
    let admin_b = s
        .create_user(
            new_user("admin_b", b.id, vec![Role::BodyAdmin], None),
            ev("user.create"),
        )
        .await
        .unwrap();
    let principal = s.principal(admin_b.id).await.unwrap().unwrap();
    assert_eq!(principal.grants.len(), 1);
    assert_eq!(principal.grants[0].org.body_id, Some(b.id));
    let in_a = s
        .users(UserFilter {
            body_id: Some(a.id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        in_a.iter().map(|u| u.login.as_str()).collect::<Vec<_>>(),
        ["zhangsan"]
    );
    let admins_of_b = s
        .users(UserFilter {
            body_id: Some(b.id),
            role: Some(Role::BodyAdmin),
        })
        .await
        .unwrap();
    assert_eq!(
        admins_of_b.iter().map(|u| u.id).collect::<Vec<_>>(),
        [admin_b.id]
    );
    assert!(s
        .users(UserFilter {
            body_id: Some(a.id),
            role: Some(Role::BodyAdmin),
        })
        .await
        .unwrap()
        .is_empty());
    // Grants and revocations.
    s.grant_role(
        admin_b.id,
        Role::Proctor,
        b.id,
        admin_b.id,
        ev("role.grant"),
    )
    .await
    .unwrap();
    let e = s
        .grant_role(
            admin_b.id,
            Role::Proctor,
            b.id,
            admin_b.id,
            ev("role.grant"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Conflict { field: "role", .. }),
        "{e:?}"
    );
    assert_eq!(s.grants(admin_b.id).await.unwrap().len(), 2);
    s.revoke_role(admin_b.id, Role::Proctor, b.id, ev("role.revoke"))
        .await
        .unwrap();
    assert!(matches!(
        s.revoke_role(admin_b.id, Role::Proctor, b.id, ev("role.revoke"))
            .await,
        Err(StoreError::NotFound)
    ));
    let (t, cipher) = s
        .reveal_document(cand.person_id.unwrap(), ev("person.reveal_document"))
        .await
        .unwrap();
    assert_eq!((t, cipher), (DocumentType::ResidentId, vec![1, 2, 3]));
}

async fn sessions_expire_rotate_and_end(s: Arc<dyn Store>) {
    let admin = bootstrap(s.as_ref()).await;
    let now = 1_800_000_000_000;
    let session = |hash: &str, at: i64| NewSession {
        token_hash: hash.into(),
        user_id: admin,
        csrf_token: format!("csrf-{hash}"),
        now_ms: at,
        expires_at_ms: at + 3_600_000,
    };
    s.login(session("h1", now), "admin", None, ev("auth.login"))
        .await
        .unwrap();
    let rec = s.session("h1", now + 1000, 60_000).await.unwrap().unwrap();
    assert_eq!(rec.csrf_token, "csrf-h1");
    // Rotation: the new session replaces the one the caller came with.
    s.login(
        session("h2", now + 2000),
        "admin",
        Some("h1".into()),
        ev("auth.login"),
    )
    .await
    .unwrap();
    assert!(s.session("h1", now + 3000, 60_000).await.unwrap().is_none());
    assert!(s.session("h2", now + 3000, 60_000).await.unwrap().is_some());
    // Idle too long: gone, and stays gone.
    assert!(s
        .session("h2", now + 3000 + 61_000, 60_000)
        .await
        .unwrap()
        .is_none());
    assert!(s.session("h2", now + 4000, 60_000).await.unwrap().is_none());
    // Password change ends every other session.
    s.login(session("h3", now), "admin", None, ev("auth.login"))
        .await
        .unwrap();
    s.login(session("h4", now), "admin", None, ev("auth.login"))
        .await
        .unwrap();
    s.set_password(
        admin,
        "$argon2id$new".into(),
        Some("h4".into()),
        ev("account.password_change"),
    )
    .await
    .unwrap();
    assert!(s.session("h3", now + 10, 60_000).await.unwrap().is_none());
    assert!(s.session("h4", now + 10, 60_000).await.unwrap().is_some());
    assert!(
        !s.principal(admin)
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );
    s.logout("h4", ev("auth.logout")).await.unwrap();
    assert!(s.session("h4", now + 20, 60_000).await.unwrap().is_none());
    // API tokens: valid until expiry.
    s.create_api_token(admin, "ci", "tok", now, now + 1000, ev("auth.token_issued"))
        .await
        .unwrap();
    assert_eq!(
        s.api_token_user("tok", now + 10).await.unwrap(),
        Some(admin)
    );
    assert_eq!(s.api_token_user("tok", now + 2000).await.unwrap(), None);
    assert_eq!(s.api_token_user("nope", now).await.unwrap(), None);
}

async fn login_failures_are_counted_and_cleared(s: Arc<dyn Store>) {
    use skillcert::domain::throttle::{Attempts, Scope};
    let admin = bootstrap(s.as_ref()).await;
    let counts = |key: &'static str, address: &'static str, since: i64| {
        let s = s.clone();
        async move {
            let a = s
                .login_attempts(Scope::Staff, key, address, since)
                .await
                .unwrap();
            (a.by_key, a.by_address)
        }
    };
    for i in 0..3 {
        s.note_login_attempt(Scope::Staff, "admin", "10.0.0.1", 1_800_000_000_000 + i)
            .await
            .unwrap();
    }
    s.note_login_attempt(Scope::Staff, "ghost", "10.0.0.1", 1_800_000_000_002)
        .await
        .unwrap();
    assert_eq!(counts("admin", "10.0.0.1", 1_800_000_000_000).await, (3, 4));
    assert_eq!(counts("admin", "10.0.0.2", 1_800_000_000_002).await, (1, 0));
    // Exam-day attempts are counted apart: neither the key nor the address mixes.
    s.note_login_attempt(Scope::Exam, "admin", "10.0.0.1", 1_800_000_000_003)
        .await
        .unwrap();
    assert_eq!(counts("admin", "10.0.0.1", 1_800_000_000_000).await, (3, 4));
    assert_eq!(
        s.login_attempts(Scope::Exam, "admin", "10.0.0.1", 0)
            .await
            .unwrap(),
        Attempts {
            by_key: 1,
            by_address: 1
        }
    );
    let keys = vec!["admin".to_string(), "ghost".to_string()];
    assert_eq!(
        s.keys_with_attempts(Scope::Staff, &keys, 0, 2)
            .await
            .unwrap(),
        vec!["admin".to_string()]
    );
    s.clear_login_attempts(Scope::Exam, "admin", ev("exam.login_unlocked"))
        .await
        .unwrap();
    assert_eq!(
        s.login_attempts(Scope::Exam, "admin", "10.0.0.1", 0)
            .await
            .unwrap()
            .by_key,
        0
    );
    let session = NewSession {
        token_hash: "t".into(),
        user_id: admin,
        csrf_token: "c".into(),
        now_ms: 1_800_000_000_010,
        expires_at_ms: 1_800_000_100_000,
    };
    s.login(session, "admin", None, ev("auth.login"))
        .await
        .unwrap();
    assert_eq!(counts("admin", "10.0.0.9", 0).await, (0, 0));
}

async fn audit_chain_holds_under_concurrency(s: Arc<dyn Store>) {
    bootstrap(s.as_ref()).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut e = ev("test.concurrent");
            e.object_id = i.to_string();
            s.append_audit(e).await.unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let (seq, _) = s.audit_head().await.unwrap();
    assert_eq!(seq, 41);
    assert_eq!(
        skillcert::app::audit::verify(s.as_ref(), common::chain_key(), None)
            .await
            .unwrap(),
        Ok(41)
    );
    let page = s.audit_page(10, 5, None).await.unwrap();
    assert_eq!(
        page.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [11, 12, 13, 14, 15]
    );
    let search = |q: AuditQuery| {
        let s = s.clone();
        async move {
            s.audit_search(&AuditQuery { limit: 3, ..q })
                .await
                .unwrap()
                .iter()
                .map(|e| (e.seq, e.action.clone()))
                .collect::<Vec<_>>()
        }
    };
    let newest = search(AuditQuery::default()).await;
    assert_eq!(newest.iter().map(|e| e.0).collect::<Vec<_>>(), [41, 40, 39]);
    let older = search(AuditQuery {
        before_seq: Some(39),
        ..Default::default()
    })
    .await;
    assert_eq!(older[0].0, 38);
    // An action or its group; an object by type and id.
    for action in ["test.concurrent", "test"] {
        let found = search(AuditQuery {
            action: Some(action.into()),
            object_type: Some("test".into()),
            object_id: Some("7".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(found.len(), 1, "{action}: {found:?}");
        assert_eq!(found[0].1, "test.concurrent");
    }
    let none = search(AuditQuery {
        action: Some("tes".into()),
        ..Default::default()
    })
    .await;
    assert!(none.is_empty(), "a group is a whole first part: {none:?}");
    let by_actor = search(AuditQuery {
        actor: Some("nobody".into()),
        ..Default::default()
    })
    .await;
    assert!(by_actor.is_empty());
}

async fn durable_settings_are_in_force(s: Arc<dyn Store>) {
    assert_eq!(s.durability_mismatches().await.unwrap(), vec![]);
    s.ping().await.unwrap();
    // Migrating twice is harmless.
    s.migrate().await.unwrap();
}

async fn banks_import_version_and_review(s: Arc<dyn Store>) {
    use skillcert::domain::item::{ItemStatus, Transition};
    use skillcert::store::items::{ItemFilter, NewItem};
    bootstrap(s.as_ref()).await;
    let reg = regulator_id(s.as_ref()).await;
    // A synthetic bank of 1,000 items: more than one insert batch.
    let files: Vec<(String, Vec<u8>)> = skillcert::synth::bank_files(1000, 3)
        .into_iter()
        .map(|(n, t)| (n, t.into_bytes()))
        .collect();
    let mut parsed = skillcert::formats::own::read_files(&files, &Default::default());
    parsed.validate_items();
    assert!(parsed.errors.is_empty());
    let occ = s
        .upsert_occupation(parsed.occupation.as_ref().unwrap(), 1)
        .await
        .unwrap();
    let std = parsed.standards[0].clone();
    s.put_standard(occ.id, &std, ev("standard.put"))
        .await
        .unwrap();
    assert_eq!(s.standards(occ.id).await.unwrap(), vec![std.clone()]);
    let bank = s.ensure_bank(occ.id, reg, "合成", 1).await.unwrap();
    assert_eq!(
        s.ensure_bank(occ.id, reg, "合成", 1).await.unwrap(),
        bank,
        "idempotent"
    );
    let items: Vec<NewItem> = parsed
        .items
        .iter()
        .map(|i| NewItem {
            external_id: i.external_id.clone().unwrap(),
            level: 5,
            mode: std.mode,
            point: i.point.clone().unwrap(),
            content: i.content.clone(),
            status: ItemStatus::Active,
        })
        .collect();
    let out = s
        .import_items(bank, items.clone(), None, ev("bank.import"))
        .await
        .unwrap();
    assert_eq!((out.created, out.updated, out.unchanged), (1000, 0, 0));
    let again = s
        .import_items(bank, items.clone(), None, ev("bank.import"))
        .await
        .unwrap();
    assert_eq!(
        (again.created, again.updated, again.unchanged),
        (0, 0, 1000)
    );
    let info = s.bank(bank).await.unwrap();
    assert_eq!((info.items, info.active_items), (1000, 1000));
    let counts = s.point_counts(bank, 5, std.mode).await.unwrap();
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<i64>(), 1000);
    assert_eq!(s.export_items(bank).await.unwrap().len(), 1000);
    assert_eq!(s.bank_dup_keys(bank).await.unwrap().len(), 1000);
    // Search, filters and paging.
    let found = s
        .items(
            bank,
            ItemFilter {
                q: Some("合成试题 17（".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let page2 = s
        .items(
            bank,
            ItemFilter {
                limit: 50,
                offset: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page2.len(), 50);
    // Edit, review, retire.
    let id = found[0].id;
    let mut c = s.export_items(bank).await.unwrap()[17].content.clone();
    c.explanation = Some("新增解析".into());
    let author = s
        .create_user(
            new_user("author", reg, vec![Role::BankAuthor], None),
            ev("user.create"),
        )
        .await
        .unwrap();
    let reviewer = s
        .create_user(
            new_user("reviewer", reg, vec![Role::BankReviewer], None),
            ev("user.create"),
        )
        .await
        .unwrap();
    assert_eq!(
        s.edit_item(id, c, None, author.id, ev("item.edit"))
            .await
            .unwrap(),
        2
    );
    let it = s.item(id).await.unwrap();
    assert_eq!(
        (it.status, it.latest_version, it.active_version),
        (ItemStatus::Draft, 2, Some(1))
    );
    assert_eq!(
        s.transition_item(id, Transition::Submit, author.id, None, ev("item.submit"))
            .await
            .unwrap(),
        ItemStatus::InReview
    );
    let own = s
        .transition_item(id, Transition::Approve, author.id, None, ev("item.approve"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            own,
            StoreError::Invalid {
                code: "item.own_review",
                ..
            }
        ),
        "{own:?}"
    );
    assert_eq!(
        s.transition_item(
            id,
            Transition::Approve,
            reviewer.id,
            Some("好".into()),
            ev("item.approve")
        )
        .await
        .unwrap(),
        ItemStatus::Active
    );
    assert_eq!(s.item(id).await.unwrap().active_version, Some(2));
    let versions = s.item_versions(id).await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1].created_by_login.as_deref(), Some("author"));
    let reviews = s.item_reviews(id).await.unwrap();
    assert_eq!(
        reviews
            .iter()
            .map(|r| r.action.as_str())
            .collect::<Vec<_>>(),
        ["edit", "submit", "approve"]
    );
    assert_eq!(
        s.transition_item(id, Transition::Retire, author.id, None, ev("item.retire"))
            .await
            .unwrap(),
        ItemStatus::Retired
    );
    assert!(s
        .edit_item(
            id,
            versions[0].content.clone(),
            None,
            author.id,
            ev("item.edit")
        )
        .await
        .is_err());
    assert_eq!(
        s.point_counts(bank, 5, std.mode)
            .await
            .unwrap()
            .iter()
            .map(|(_, n)| n)
            .sum::<i64>(),
        999
    );
    // Sharing and the shortage catalogue.
    let body = s
        .create_org(body("B", reg), ev("org.create"))
        .await
        .unwrap();
    s.share_bank(bank, body.id, ev("bank.share")).await.unwrap();
    assert_eq!(s.bank_shared_with(bank).await.unwrap(), vec![body.id]);
    s.create_shortage_catalogue(
        "目录",
        "2026-01-01",
        "2026-12-31",
        &[occ.id],
        ev("shortage.create"),
    )
    .await
    .unwrap();
    assert_eq!(
        s.shortage_catalogues("2026-06-01").await.unwrap()[0]
            .occupations
            .len(),
        1
    );
    assert!(s
        .shortage_catalogues("2027-06-01")
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        skillcert::app::audit::verify(s.as_ref(), common::chain_key(), None)
            .await
            .unwrap()
            .map(|_| ()),
        Ok(())
    );
}

/// Plans, roster, recusal, papers, and the exam-day writes: start needs admission,
/// saves keep the newest sequence per position, pause refuses saves, the deadline
/// sweep submits with the saved answers, and concurrent group commits lose nothing.
async fn exams_plan_deliver_and_group_commit(s: Arc<dyn Store>) {
    use skillcert::app::delivery::writer::GroupCommit;
    use skillcert::domain::assembly::{Paper, PaperItem};
    use skillcert::domain::exam::{
        AttemptStatus, Extension, PartialCredit, PlanTemplate, ProctorAction, Relation, SaveRefusal,
    };
    use skillcert::domain::item::ItemStatus;
    use skillcert::store::delivery::*;
    use skillcert::store::inspection::NewFinding;
    use skillcert::store::items::NewItem;
    use skillcert::store::plans::*;
    bootstrap(s.as_ref()).await;
    let reg = regulator_id(s.as_ref()).await;
    let files: Vec<(String, Vec<u8>)> = skillcert::synth::bank_files(200, 5)
        .into_iter()
        .map(|(n, t)| (n, t.into_bytes()))
        .collect();
    let mut parsed = skillcert::formats::own::read_files(&files, &Default::default());
    parsed.validate_items();
    let occ = s
        .upsert_occupation(parsed.occupation.as_ref().unwrap(), 1)
        .await
        .unwrap();
    let std = parsed.standards[0].clone();
    s.put_standard(occ.id, &std, ev("standard.put"))
        .await
        .unwrap();
    let bank = s.ensure_bank(occ.id, reg, "合成", 1).await.unwrap();
    let items: Vec<NewItem> = parsed
        .items
        .iter()
        .map(|i| NewItem {
            external_id: i.external_id.clone().unwrap(),
            level: 5,
            mode: std.mode,
            point: i.point.clone().unwrap(),
            content: i.content.clone(),
            status: ItemStatus::Active,
        })
        .collect();
    s.import_items(bank, items, None, ev("import"))
        .await
        .unwrap();
    let b = s
        .create_org(body("考评机构", reg), ev("org.create"))
        .await
        .unwrap();
    let site = s
        .create_org(child(OrgKind::TestSite, "考点", b.id), ev("org.create"))
        .await
        .unwrap();
    let room = s
        .create_org(child(OrgKind::Room, "101", site.id), ev("org.create"))
        .await
        .unwrap();
    let mk_user = |login: &str| NewUser {
        login: login.into(),
        display_name: login.into(),
        password_hash: "$argon2id$dummy".into(),
        org_id: b.id,
        person: None,
        roles: vec![Role::Proctor],
        granted_by: None,
        must_change_password: false,
        link_body: None,
    };
    let p1 = s
        .create_user(mk_user("p1"), ev("user.create"))
        .await
        .unwrap();
    let p2 = s
        .create_user(mk_user("p2"), ev("user.create"))
        .await
        .unwrap();
    let related = s
        .create_user(mk_user("p3"), ev("user.create"))
        .await
        .unwrap();
    s.declare_relation(
        related.id,
        "lookup-a",
        Relation::MasterApprentice,
        ev("rel"),
    )
    .await
    .unwrap();

    let template = PlanTemplate {
        paper: skillcert::domain::assembly::demo_template(),
        duration_seconds: 600,
        pass_mark: 60.0,
        partial_credit: PartialCredit::HalfForSubset,
    };
    let plan = s
        .create_plan(
            NewPlan {
                body_id: b.id,
                occupation_id: occ.id,
                level: 5,
                bank_id: bank,
                name: "计划".into(),
                exam_date: "2026-12-01".into(),
                template,
                requires_approval: true,
                created_by: p1.id,
                component: skillcert::domain::exam::components::Component::Theory,
            },
            ev("plan.create"),
        )
        .await
        .unwrap();
    assert_eq!(
        plan.status,
        skillcert::domain::exam::PlanStatus::PendingApproval
    );
    s.approve_plan(plan.id, p1.id, ev("plan.approve"))
        .await
        .unwrap();
    let session = s
        .add_session(plan.id, room.id, 1_800_000_000_000, ev("session"))
        .await
        .unwrap();
    assert!(matches!(
        s.add_session(plan.id, site.id, 1, ev("session")).await,
        Err(StoreError::Invalid {
            field: "room_id",
            ..
        })
    ));
    let enrolled = s
        .add_candidates(
            plan.id,
            vec![
                NewCandidate {
                    person: person("lookup-a"),
                    session_id: session,
                },
                NewCandidate {
                    person: person("lookup-b"),
                    session_id: session,
                },
            ],
            ev("enrol"),
        )
        .await
        .unwrap();
    assert_eq!(
        enrolled.iter().map(|e| e.seat).collect::<Vec<_>>(),
        vec![1, 2]
    );
    // The same person twice on one plan is refused as a whole.
    let again = s
        .add_candidates(
            plan.id,
            vec![NewCandidate {
                person: person("lookup-b"),
                session_id: session,
            }],
            ev("enrol"),
        )
        .await;
    assert!(
        matches!(
            again,
            Err(StoreError::Refused {
                code: "exam_error.already_enrolled",
                ..
            })
        ),
        "{again:?}"
    );
    // Recusal: the related proctor is refused with the candidate named.
    match s
        .assign_proctor(session, related.id, p1.id, ev("assign"))
        .await
    {
        Err(StoreError::Refused { detail, .. }) => assert!(
            detail.contains(&enrolled[0].admission_no) && detail.contains("master_apprentice"),
            "{detail}"
        ),
        other => panic!("expected recusal, got {other:?}"),
    }
    s.assign_proctor(session, p1.id, p1.id, ev("assign"))
        .await
        .unwrap();
    s.assign_proctor(session, p2.id, p1.id, ev("assign"))
        .await
        .unwrap();
    assert_eq!(s.plan_session(session).await.unwrap().proctors.len(), 2);
    assert!(s.is_session_proctor(session, p1.id).await.unwrap());
    assert!(!s.is_session_proctor(session, related.id).await.unwrap());

    // Papers (three items each, enough for the store's rules).
    let (pool, exposure) = s.pool(bank, 5).await.unwrap();
    assert_eq!(pool.len(), 200);
    assert!(exposure.is_empty());
    let paper = |offset: usize| Paper {
        seed: 7,
        items: pool[offset..offset + 3]
            .iter()
            .map(|r| PaperItem {
                item_id: r.item_id,
                version: r.version,
                item_type: r.item_type,
                points: 1.0,
                option_order: vec![],
            })
            .collect(),
        mean_difficulty: 3.0,
        total_points: 3.0,
        area_points: vec![],
    };
    let people = s.roster_people(plan.id).await.unwrap();
    let attempts: Vec<NewAttempt> = people
        .iter()
        .enumerate()
        .map(|(i, (c, _, sid))| NewAttempt {
            candidate_id: *c,
            session_id: *sid,
            excluded: vec![],
            paper: paper(i * 3),
        })
        .collect();
    // An exit recorded while the papers were generated still freezes the plan.
    s.set_org_status(b.id, OrgStatus::Exited, ev("org.status"))
        .await
        .unwrap();
    let e = s
        .close_roster(plan.id, attempts.clone(), 600_000, ev("close"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::Invalid {
                code: "exam_error.plan_frozen",
                ..
            }
        ),
        "{e:?}"
    );
    s.set_org_status(b.id, OrgStatus::Active, ev("org.status"))
        .await
        .unwrap();
    s.close_roster(plan.id, attempts, 600_000, ev("close"))
        .await
        .unwrap();
    assert_eq!(
        s.pool(bank, 5).await.unwrap().1.len(),
        6,
        "exposure counted"
    );
    assert!(s
        .add_candidates(
            plan.id,
            vec![NewCandidate {
                person: person("lookup-c"),
                session_id: session
            }],
            ev("enrol")
        )
        .await
        .is_err());
    let roster = s.roster(plan.id, Some(session)).await.unwrap();
    assert!(roster
        .iter()
        .all(|r| r.status == Some(AttemptStatus::Ready)));
    let a0 = roster[0].attempt_id.unwrap();
    let a1 = roster[1].attempt_id.unwrap();

    // Exam-day login, then start before admission is refused.
    let now = skillcert::now_ms(); // the group commit below runs on the wall clock
    let res = s
        .apply_exam_ops(
            &[ExamOp::Login {
                candidate_id: roster[0].candidate_id,
                token_hash: "tok".into(),
                csrf_token: "c".into(),
                expires_at_ms: now + 1000,
                audit: ev("exam.login"),
            }],
            now,
            0,
        )
        .await
        .unwrap();
    assert_eq!(res, vec![ExamOpResult::LoggedIn]);
    let who = s.exam_identity("tok", now).await.unwrap().unwrap();
    assert_eq!(who.attempt_id, Some(a0));
    assert!(
        s.exam_identity("tok", now + 1000).await.unwrap().is_none(),
        "expired"
    );
    let res = s
        .apply_exam_ops(
            &[ExamOp::Start {
                attempt_id: a0,
                audit: ev("start"),
            }],
            now,
            0,
        )
        .await
        .unwrap();
    assert_eq!(res, vec![ExamOpResult::StartRefused("not_admitted")]);
    // Admit-all admits who is signed in and waiting (the first candidate only); the
    // other is admitted one by one.
    assert_eq!(
        s.admit_session(
            session,
            p1.id,
            AuditEvent {
                at_ms: now,
                ..ev("admit")
            }
        )
        .await
        .unwrap(),
        1
    );
    s.proctor_action(
        a1,
        ProctorAction::Admit,
        Extension::NONE,
        p1.id,
        String::new(),
        ev("admit"),
    )
    .await
    .unwrap();
    // Both sign in for the day ("tok0" replaces "tok": one device at a time).
    let login_until = |candidate_id: i64, token: &str, expires_at_ms: i64| ExamOp::Login {
        candidate_id,
        token_hash: token.into(),
        csrf_token: "c".into(),
        expires_at_ms,
        audit: ev("exam.login"),
    };
    let login = |candidate_id: i64, token: &str| login_until(candidate_id, token, now + 86_400_000);
    s.apply_exam_ops(
        &[
            login(roster[0].candidate_id, "tok0"),
            login(roster[1].candidate_id, "tok1"),
        ],
        now,
        0,
    )
    .await
    .unwrap();
    // One batch: both start, then saves; results come back in order.
    let save_in = |a: i64, session: &str, pos: u32, seq: i64, ans: &str| ExamOp::Save {
        attempt_id: a,
        session: session.into(),
        changes: vec![Change {
            position: pos,
            seq,
            answer: ans.into(),
        }],
    };
    let save = |a: i64, pos: u32, seq: i64, ans: &str| {
        save_in(a, if a == a0 { "tok0" } else { "tok1" }, pos, seq, ans)
    };
    let res = s
        .apply_exam_ops(
            &[
                ExamOp::Start {
                    attempt_id: a0,
                    audit: ev("start"),
                },
                ExamOp::Start {
                    attempt_id: a1,
                    audit: ev("start"),
                },
                save(a0, 0, 5, "[1]"),
                save(a1, 2, 1, "true"),
            ],
            now,
            0,
        )
        .await
        .unwrap();
    assert!(matches!(res[0], ExamOpResult::Started(c) if c.deadline_ms == Some(now + 600_000)));
    assert_eq!(res[2], ExamOpResult::Saved { seq: 5, at_ms: now });
    // An older sequence is acknowledged but never overwrites; a replay is a no-op.
    s.apply_exam_ops(&[save(a0, 0, 3, "[2]"), save(a0, 0, 5, "[3]")], now + 1, 0)
        .await
        .unwrap();
    let rec = s.attempt(a0).await.unwrap();
    assert_eq!(
        (rec.answers[0].seq, rec.answers[0].answer.as_str()),
        (5, "[1]")
    );
    assert_eq!(rec.last_seq, 5);

    // Saves count only while their exam session is live: not with a replaced session,
    // not after a logout (even in one batch with a live one), and again after a login.
    let res = s
        .apply_exam_ops(
            &[save_in(a0, "tok", 1, 6, "[1]"), save(a1, 0, 2, "[2]")],
            now + 2,
            0,
        )
        .await
        .unwrap();
    assert_eq!(
        res,
        vec![
            ExamOpResult::SessionEnded,
            ExamOpResult::Saved {
                seq: 2,
                at_ms: now + 2
            }
        ]
    );
    s.end_exam_session("tok1").await.unwrap();
    let res = s
        .apply_exam_ops(&[save(a1, 1, 3, "true"), save(a0, 2, 6, "[0]")], now + 3, 0)
        .await
        .unwrap();
    assert_eq!(
        res,
        vec![
            ExamOpResult::SessionEnded,
            ExamOpResult::Saved {
                seq: 6,
                at_ms: now + 3
            }
        ]
    );
    let rec = s.attempt(a1).await.unwrap();
    assert!(
        !rec.answers.iter().any(|a| a.seq == 3),
        "nothing written after the logout: {:?}",
        rec.answers
    );
    let rec = s.attempt(a0).await.unwrap();
    assert!(
        !rec.answers
            .iter()
            .any(|a| a.position == 1 && a.answer == "[1]"),
        "nothing written with the replaced session"
    );
    // An expired session ends saves too; a save from an ended session never displaces a
    // live one's answer, whatever its sequence.
    s.apply_exam_ops(
        &[login_until(roster[1].candidate_id, "tok1-short", now + 10)],
        now + 4,
        0,
    )
    .await
    .unwrap();
    let res = s
        .apply_exam_ops(&[save_in(a1, "tok1-short", 1, 4, "true")], now + 10, 0)
        .await
        .unwrap();
    assert_eq!(res, vec![ExamOpResult::SessionEnded]);
    let res = s
        .apply_exam_ops(
            &[save_in(a0, "tok", 2, 99, "[2]"), save(a0, 2, 7, "[1]")],
            now + 11,
            0,
        )
        .await
        .unwrap();
    assert_eq!(
        res,
        vec![
            ExamOpResult::SessionEnded,
            ExamOpResult::Saved {
                seq: 7,
                at_ms: now + 11
            }
        ]
    );
    let rec = s.attempt(a0).await.unwrap();
    let pos2 = rec.answers.iter().find(|a| a.position == 2).unwrap();
    assert_eq!((pos2.seq, pos2.answer.as_str()), (7, "[1]"));
    s.apply_exam_ops(&[login(roster[1].candidate_id, "tok1")], now + 12, 0)
        .await
        .unwrap();

    // Pause: saves refused, the clock stops; resume moves the deadline by the pause.
    s.proctor_action(
        a0,
        ProctorAction::Pause,
        Extension::NONE,
        p1.id,
        String::new(),
        AuditEvent {
            at_ms: now + 100,
            ..ev("pause")
        },
    )
    .await
    .unwrap();
    let res = s
        .apply_exam_ops(&[save(a0, 1, 6, "[0]")], now + 10, 0)
        .await
        .unwrap();
    assert_eq!(res, vec![ExamOpResult::Refused(SaveRefusal::Paused)]);
    let clock = s
        .proctor_action(
            a0,
            ProctorAction::Resume,
            Extension::NONE,
            p1.id,
            String::new(),
            AuditEvent {
                at_ms: now + 5_100,
                ..ev("resume")
            },
        )
        .await
        .unwrap();
    assert_eq!(
        clock.deadline_ms,
        Some(now + 605_000),
        "a pause of 5 s moves the deadline by 5 s"
    );
    assert!(s
        .proctor_action(
            a0,
            ProctorAction::Resume,
            Extension::NONE,
            p1.id,
            String::new(),
            ev("resume")
        )
        .await
        .is_err());

    // Concurrent group commits on the same attempts: the newest sequence wins, every
    // acknowledged save is there.
    let gc = GroupCommit::start(s.clone(), 4, 0);
    let mut tasks = Vec::new();
    for seq in 10..210i64 {
        let gc = gc.clone();
        let attempt = if seq % 2 == 0 { a0 } else { a1 };
        let session = if attempt == a0 { "tok0" } else { "tok1" };
        tasks.push(tokio::spawn(async move {
            gc.submit(ExamOp::Save {
                attempt_id: attempt,
                session: session.into(),
                changes: vec![Change {
                    position: (seq % 3) as u32,
                    seq,
                    answer: format!("\"{seq}\""),
                }],
            })
            .await
        }));
    }
    for t in tasks {
        assert!(matches!(
            t.await.unwrap().unwrap(),
            ExamOpResult::Saved { .. }
        ));
    }
    let rec0 = s.attempt(a0).await.unwrap();
    let rec1 = s.attempt(a1).await.unwrap();
    for (rec, parity) in [(&rec0, 0), (&rec1, 1)] {
        for a in &rec.answers {
            let newest = (10..210i64)
                .filter(|q| q % 2 == parity && (q % 3) as u32 == a.position)
                .max()
                .unwrap();
            assert_eq!(a.seq, newest, "position {}", a.position);
            assert_eq!(a.answer, format!("\"{newest}\""));
        }
    }

    // A save and a submit of one attempt in one batch are judged in arrival order: the
    // save before the submit is kept, the one after it is refused.
    let res = s
        .apply_exam_ops(
            &[
                save(a0, 1, 500, "[2]"),
                ExamOp::Submit {
                    attempt_id: a0,
                    audit: ev("submit"),
                },
                save(a0, 2, 501, "[0]"),
            ],
            now + 6_000,
            0,
        )
        .await
        .unwrap();
    assert_eq!(
        res,
        vec![
            ExamOpResult::Saved {
                seq: 500,
                at_ms: now + 6_000
            },
            ExamOpResult::Submitted { at_ms: now + 6_000 },
            ExamOpResult::Refused(SaveRefusal::Closed),
        ]
    );
    let rec = s.attempt(a0).await.unwrap();
    let kept: Vec<(u32, i64)> = rec.answers.iter().map(|a| (a.position, a.seq)).collect();
    assert!(kept.contains(&(1, 500)), "{kept:?}");
    assert!(!kept.iter().any(|&(_, seq)| seq == 501), "{kept:?}");

    // The deadline passes: the sweep submits with the saved answers, later saves are refused.
    let done = s.submit_overdue(now + 10_000_000, 0).await.unwrap();
    assert_eq!(done, vec![a1]);
    let rec = s.attempt(a1).await.unwrap();
    assert_eq!(rec.clock.status, AttemptStatus::Submitted);
    assert_eq!(
        rec.submitted_at_ms, rec.clock.deadline_ms,
        "submitted as of the deadline"
    );
    assert_eq!(rec.answers, rec1.answers);
    let res = s
        .apply_exam_ops(&[save(a1, 0, 999, "null")], now + 10_000_001, 0)
        .await
        .unwrap();
    assert_eq!(res, vec![ExamOpResult::Refused(SaveRefusal::Closed)]);
    assert!(
        s.submit_overdue(now + 10_000_000, 0)
            .await
            .unwrap()
            .is_empty(),
        "idempotent"
    );

    // Irregularity and finding are stored; the inspectors' view lists proctor actions.
    s.record_irregularity(
        a0,
        skillcert::domain::exam::IrregularityOutcome::Deduction,
        10.0,
        "夹带".into(),
        p1.id,
        ev("irr"),
    )
    .await
    .unwrap();
    s.assign_inspector(plan.id, p2.id, p1.id, ev("insp"))
        .await
        .unwrap();
    assert!(s.is_plan_inspector(plan.id, p2.id).await.unwrap());
    s.file_finding(
        NewFinding {
            plan_id: plan.id,
            body_id: b.id,
            subject: skillcert::domain::exam::FindingSubject::Session,
            subject_id: session,
            category: skillcert::domain::exam::FindingCategory::Procedure,
            severity: skillcert::domain::exam::Severity::Minor,
            evidence: "未核对身份证".into(),
            filed_by: p2.id,
        },
        ev("finding"),
    )
    .await
    .unwrap();
    assert_eq!(
        s.findings(plan.id).await.unwrap()[0].evidence,
        "未核对身份证"
    );
    let actions: Vec<String> = s
        .proctor_actions(plan.id, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert!(
        actions.contains(&"irregularity".to_string()) && actions.contains(&"pause".to_string()),
        "{actions:?}"
    );
    assert_eq!(s.stored_seqs(plan.id).await.unwrap().len(), 6);
    assert_eq!(
        skillcert::app::audit::verify(s.as_ref(), common::chain_key(), None)
            .await
            .unwrap()
            .map(|_| ()),
        Ok(())
    );
}

/// Every unique constraint a request can run into comes back as a conflict naming the
/// field, in both dialects (PostgreSQL by constraint name, SQLite by its columns), and
/// the transaction changes nothing.
async fn unique_violations_name_their_field(s: Arc<dyn Store>) {
    use skillcert::domain::exam::{PartialCredit, PlanTemplate};
    use skillcert::store::plans::NewPlan;
    bootstrap(s.as_ref()).await;
    let reg = regulator_id(s.as_ref()).await;
    fn conflict<T>(r: Result<T, StoreError>, want: (&str, &str)) {
        match r {
            Err(StoreError::Conflict { field, code }) => assert_eq!((field, code), want),
            Err(e) => panic!("expected conflict {want:?}, got {e:?}"),
            Ok(_) => panic!("expected conflict {want:?}, got Ok"),
        }
    }
    let b = s.create_org(body("机构", reg), ev("org")).await.unwrap();
    conflict(
        s.create_org(body("机构", reg), ev("org")).await,
        ("name", "org.name_taken"),
    );
    let site = s
        .create_org(child(OrgKind::TestSite, "考点", b.id), ev("org"))
        .await
        .unwrap();
    let room = s
        .create_org(child(OrgKind::Room, "101", site.id), ev("org"))
        .await
        .unwrap();
    let u = s
        .create_user(
            new_user("proctor1", b.id, vec![Role::Proctor], None),
            ev("user"),
        )
        .await
        .unwrap();
    conflict(
        s.create_user(
            new_user("proctor1", b.id, vec![Role::Proctor], None),
            ev("user"),
        )
        .await,
        ("login", "account.login_taken"),
    );
    conflict(
        s.grant_role(u.id, Role::Proctor, b.id, u.id, ev("grant"))
            .await,
        ("role", "role.already_granted"),
    );
    let entry = skillcert::formats::OccupationEntry {
        code: "4-10-01-05".into(),
        edition: 2015,
        name: "养老护理员".into(),
        name_en: None,
        levels: vec![5],
        certificate_kinds: vec![],
    };
    let occ = s.upsert_occupation(&entry, 1).await.unwrap();
    let bank = s.ensure_bank(occ.id, reg, "题库", 1).await.unwrap();
    let plan = s
        .create_plan(
            NewPlan {
                body_id: b.id,
                occupation_id: occ.id,
                level: 5,
                bank_id: bank,
                name: "计划".into(),
                exam_date: "2030-01-01".into(),
                template: PlanTemplate {
                    paper: skillcert::domain::assembly::demo_template(),
                    duration_seconds: 600,
                    pass_mark: 60.0,
                    partial_credit: PartialCredit::None,
                },
                requires_approval: false,
                created_by: u.id,
                component: skillcert::domain::exam::components::Component::Theory,
            },
            ev("plan"),
        )
        .await
        .unwrap();
    let session = s
        .add_session(plan.id, room.id, 1_900_000_000_000, ev("session"))
        .await
        .unwrap();
    conflict(
        s.add_session(plan.id, room.id, 1_900_000_000_000, ev("session"))
            .await,
        ("starts_at", "exam_error.session_taken"),
    );
    s.assign_proctor(session, u.id, u.id, ev("assign"))
        .await
        .unwrap();
    conflict(
        s.assign_proctor(session, u.id, u.id, ev("assign")).await,
        ("user_id", "exam_error.already_assigned"),
    );
    s.assign_inspector(plan.id, u.id, u.id, ev("inspector"))
        .await
        .unwrap();
    conflict(
        s.assign_inspector(plan.id, u.id, u.id, ev("inspector"))
            .await,
        ("user_id", "exam_error.already_assigned"),
    );
    assert_eq!(s.sessions(plan.id).await.unwrap().len(), 1);
    assert_eq!(
        skillcert::app::audit::verify(s.as_ref(), common::chain_key(), None)
            .await
            .unwrap()
            .map(|_| ()),
        Ok(())
    );
}

/// An op that fails inside a group commit comes back with its error's kind: a missing
/// attempt is `NotFound` (a 404 at the web edge), not an internal error.
async fn group_commit_errors_keep_their_kind(s: Arc<dyn Store>) {
    use skillcert::app::delivery::writer::GroupCommit;
    use skillcert::store::delivery::ExamOp;
    let writer = GroupCommit::start(s.clone(), 1, 0);
    let missing = writer
        .submit(ExamOp::Submit {
            attempt_id: 987_654,
            audit: ev("attempt.submit"),
        })
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    let dir = tempfile::tempdir().unwrap();
                    let s = crate::common::sqlite_store(dir.path()).await;
                    super::$case(s.clone()).await;
                    s.close().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    let Some(db) = crate::common::pg_db(stringify!($case)).await else { return };
                    let s = crate::common::pg_store(&db).await;
                    super::$case(s.clone()).await;
                    s.close().await;
                    db.drop_db().await;
                }
            )*
        }
    };
}

conformance!(
    bootstrap_runs_once,
    organisations_follow_the_hierarchy,
    filed_scope_is_replaced_whole,
    accounts_and_real_name_records,
    sessions_expire_rotate_and_end,
    login_failures_are_counted_and_cleared,
    audit_chain_holds_under_concurrency,
    durable_settings_are_in_force,
    banks_import_version_and_review,
    exams_plan_deliver_and_group_commit,
    unique_violations_name_their_field,
    group_commit_errors_keep_their_kind,
);
