//! QTI item reading on small hand-written items: feedback, MathML, templates, keys.

use super::super::read;
use crate::domain::item::{Answer, ItemType};
use crate::formats::Limits;

const NS: &str = r#"xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" xmlns:m="http://www.w3.org/1998/Math/MathML""#;

fn item3(id: &str, inner: &str) -> String {
    format!(r#"<qti-assessment-item {NS} identifier="{id}">{inner}</qti-assessment-item>"#)
}

const KEY_A: &str = r#"<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier"><qti-correct-response><qti-value>A</qti-value></qti-correct-response></qti-response-declaration>"#;

#[test]
fn feedback_never_reaches_stems_or_options() {
    let doc = item3(
        "fb",
        &format!(
            r#"{KEY_A}<qti-item-body><p>Is the sky blue?</p><qti-feedback-block outcome-identifier="FEEDBACK" identifier="A" show-hide="show"><qti-content-body>Well done, A is right.</qti-content-body></qti-feedback-block>
<qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
<qti-simple-choice identifier="A">True <qti-feedback-inline outcome-identifier="FEEDBACK" identifier="A" show-hide="show">That's correct</qti-feedback-inline></qti-simple-choice>
<qti-simple-choice identifier="B">False <qti-feedback-inline outcome-identifier="FEEDBACK" identifier="B" show-hide="show">Not quite</qti-feedback-inline></qti-simple-choice>
</qti-choice-interaction></qti-item-body>"#
        ),
    );
    let p = read("fb.xml", doc.as_bytes(), &Limits::default());
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let c = &p.items[0].content;
    assert_eq!(c.options[0].text, "True");
    assert_eq!(c.options[1].text, "False");
    assert!(!c.stem.contains("Well done"), "{}", c.stem);
    assert_eq!(c.answer, Answer::Keys(vec!["A".into()]));
}

#[test]
fn mathml_is_kept_sanitised() {
    let doc = item3(
        "math",
        &format!(
            r#"{KEY_A}<qti-item-body><qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
<qti-prompt>What is <m:math alttext="x squared"><m:msup><m:mi>x</m:mi><m:mn>2</m:mn></m:msup></m:math> for x = 3?</qti-prompt>
<qti-simple-choice identifier="A"><m:math><m:mn>9</m:mn></m:math></qti-simple-choice>
<qti-simple-choice identifier="B"><m:math><m:mfrac><m:mn>3</m:mn><m:mn>2</m:mn></m:mfrac></m:math></qti-simple-choice>
</qti-choice-interaction></qti-item-body>"#
        ),
    );
    let p = read("math.xml", doc.as_bytes(), &Limits::default());
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let c = &p.items[0].content;
    assert!(
        c.stem.contains("<msup><mi>x</mi><mn>2</mn></msup>"),
        "{}",
        c.stem
    );
    assert!(c.stem.contains(r#"alttext="x squared""#), "{}", c.stem);
    assert_eq!(c.options[0].text, "<math><mn>9</mn></math>");
    assert!(c.options[1].text.contains("<mfrac>"));
    // The sanitiser still removes what MathML must not carry.
    let hostile = crate::formats::sanitize_html(
        r#"<math><mi onclick="alert(1)">x</mi><annotation-xml encoding="text/html"><img src=x onerror=alert(1)></annotation-xml><mglyph><style><img src=x onerror=alert(2)></style></mglyph></math>"#,
    );
    assert!(
        !hostile.contains("onclick") && !hostile.contains("onerror"),
        "{hostile}"
    );
}

#[test]
fn template_items_are_refused_by_name() {
    let doc = item3(
        "tpl",
        &format!(
            r#"{KEY_A}<qti-template-declaration identifier="X" cardinality="single" base-type="integer"/><qti-template-processing><qti-set-template-value identifier="X"><qti-random-integer min="1" max="9"/></qti-set-template-value></qti-template-processing>
<qti-item-body><qti-choice-interaction response-identifier="RESPONSE" max-choices="1"><qti-prompt>Add <qti-printed-variable identifier="X"/></qti-prompt><qti-simple-choice identifier="A">a</qti-simple-choice></qti-choice-interaction></qti-item-body>"#
        ),
    );
    let p = read("tpl.xml", doc.as_bytes(), &Limits::default());
    assert!(p.items.is_empty());
    let e = &p.errors[0];
    assert_eq!(e.path.as_deref(), Some("tpl.xml"));
    assert!(
        e.message
            .starts_with(r#"item "tpl": it is a template item"#),
        "{}",
        e.message
    );
}

#[test]
fn image_choices_use_their_alternative_text_or_refuse() {
    let body = |alt: &str| {
        format!(
            r#"<qti-response-declaration identifier="RESPONSE" cardinality="multiple" base-type="directedPair"><qti-correct-response><qti-value>L1 R1</qti-value></qti-correct-response></qti-response-declaration>
<qti-item-body><qti-match-interaction response-identifier="RESPONSE" max-associations="1"><qti-prompt>Match</qti-prompt>
<qti-simple-match-set><qti-simple-associable-choice identifier="L1" match-max="1"><img src="tower.png" alt="{alt}"/></qti-simple-associable-choice></qti-simple-match-set>
<qti-simple-match-set><qti-simple-associable-choice identifier="R1" match-max="1">Paris</qti-simple-associable-choice></qti-simple-match-set>
</qti-match-interaction></qti-item-body>"#
        )
    };
    let p = read(
        "m.xml",
        item3("m1", &body("Eiffel Tower")).as_bytes(),
        &Limits::default(),
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(
        p.items[0].content.answer,
        Answer::Pairs(vec![("Eiffel Tower".into(), "Paris".into())])
    );
    let p = read(
        "m.xml",
        item3("m2", &body("")).as_bytes(),
        &Limits::default(),
    );
    assert!(p.items.is_empty());
    assert!(
        p.errors[0]
            .message
            .contains(r#"item "m2": choice "L1" is an image without"#),
        "{}",
        p.errors[0].message
    );
}

#[test]
fn a_key_in_custom_response_processing_is_named() {
    let doc = item3(
        "rp",
        r#"<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier"/>
<qti-item-body><qti-choice-interaction response-identifier="RESPONSE" max-choices="1"><qti-simple-choice identifier="A">a</qti-simple-choice><qti-simple-choice identifier="B">b</qti-simple-choice></qti-choice-interaction></qti-item-body>
<qti-response-processing><qti-response-condition><qti-response-if><qti-match><qti-variable identifier="RESPONSE"/><qti-base-value base-type="identifier">B</qti-base-value></qti-match><qti-set-outcome-value identifier="SCORE"><qti-base-value base-type="float">1</qti-base-value></qti-set-outcome-value></qti-response-if></qti-response-condition></qti-response-processing>"#,
    );
    let p = read("rp.xml", doc.as_bytes(), &Limits::default());
    assert!(p.items.is_empty());
    assert!(
        p.errors[0].message.contains("custom response processing"),
        "{}",
        p.errors[0].message
    );
    // An essay needs no key.
    let essay = item3(
        "e",
        r#"<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="string"/><qti-item-body><qti-extended-text-interaction response-identifier="RESPONSE"><qti-prompt>Explain.</qti-prompt></qti-extended-text-interaction></qti-item-body>"#,
    );
    let p = read("e.xml", essay.as_bytes(), &Limits::default());
    assert_eq!(p.items[0].content.item_type, ItemType::Essay);
}
