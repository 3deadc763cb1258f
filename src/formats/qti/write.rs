//! QTI 3.0 export: one item per document, and a content package with its manifest.

use std::io::Write;

use super::super::text::escape;
use crate::domain::item::{Answer, ItemContent, ItemType};

fn x(s: &str) -> String {
    escape(s)
}

fn value_list(vals: &[String]) -> String {
    vals.iter()
        .map(|v| format!("<qti-value>{}</qti-value>", x(v)))
        .collect()
}

/// One item as a QTI 3.0 document. `id` must be an XML name (letters first).
pub fn write_item(id: &str, point: Option<&str>, c: &ItemContent) -> String {
    let decl;
    let body;
    let mut processing = "<qti-response-processing template=\"https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml\"/>".to_string();
    let prompt = format!("<qti-prompt>{}</qti-prompt>", c.stem);
    let choices = |tag: &str| -> String {
        c.options
            .iter()
            .map(|o| format!("<{tag} identifier=\"{}\">{}</{tag}>", x(&o.key), o.text))
            .collect()
    };
    match (&c.item_type, &c.answer) {
        (ItemType::TrueFalse, Answer::TrueFalse(b)) => {
            decl = format!("<qti-response-declaration identifier=\"RESPONSE\" cardinality=\"single\" base-type=\"identifier\"><qti-correct-response><qti-value>{b}</qti-value></qti-correct-response></qti-response-declaration>");
            body = format!("<qti-choice-interaction class=\"skillcert-true-false\" response-identifier=\"RESPONSE\" max-choices=\"1\">{prompt}<qti-simple-choice identifier=\"true\">对</qti-simple-choice><qti-simple-choice identifier=\"false\">错</qti-simple-choice></qti-choice-interaction>");
        }
        (ItemType::SingleChoice | ItemType::MultipleChoice, Answer::Keys(k)) => {
            let card = if c.item_type == ItemType::SingleChoice {
                "single"
            } else {
                "multiple"
            };
            let max = if card == "single" { 1 } else { 0 };
            decl = format!("<qti-response-declaration identifier=\"RESPONSE\" cardinality=\"{card}\" base-type=\"identifier\"><qti-correct-response>{}</qti-correct-response></qti-response-declaration>", value_list(k));
            body = format!("<qti-choice-interaction response-identifier=\"RESPONSE\" max-choices=\"{max}\">{prompt}{}</qti-choice-interaction>", choices("qti-simple-choice"));
        }
        (ItemType::Ordering, Answer::Order(k)) => {
            decl = format!("<qti-response-declaration identifier=\"RESPONSE\" cardinality=\"ordered\" base-type=\"identifier\"><qti-correct-response>{}</qti-correct-response></qti-response-declaration>", value_list(k));
            body = format!("<qti-order-interaction response-identifier=\"RESPONSE\">{prompt}{}</qti-order-interaction>", choices("qti-simple-choice"));
        }
        (ItemType::FillIn, Answer::Accepted(a)) => {
            let first = a.first().cloned().unwrap_or_default();
            let map: String = a
                .iter()
                .map(|v| format!("<qti-map-entry map-key=\"{}\" mapped-value=\"1\"/>", x(v)))
                .collect();
            decl = format!("<qti-response-declaration identifier=\"RESPONSE\" cardinality=\"single\" base-type=\"string\"><qti-correct-response><qti-value>{}</qti-value></qti-correct-response><qti-mapping default-value=\"0\">{map}</qti-mapping></qti-response-declaration>", x(&first));
            body = format!("<div class=\"skillcert-stem\">{}</div><p><qti-text-entry-interaction response-identifier=\"RESPONSE\"/></p>", c.stem);
            processing = "<qti-response-processing template=\"https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/map_response.xml\"/>".into();
        }
        (ItemType::Numerical, Answer::Numerical { value, tolerance }) => {
            decl = format!("<qti-response-declaration identifier=\"RESPONSE\" cardinality=\"single\" base-type=\"float\"><qti-correct-response><qti-value>{value}</qti-value></qti-correct-response></qti-response-declaration>");
            body = format!("<div class=\"skillcert-stem\">{}</div><p><qti-text-entry-interaction response-identifier=\"RESPONSE\"/></p>", c.stem);
            processing = format!("<qti-response-processing><qti-response-condition><qti-response-if><qti-equal tolerance-mode=\"absolute\" tolerance=\"{tolerance} {tolerance}\"><qti-variable identifier=\"RESPONSE\"/><qti-correct identifier=\"RESPONSE\"/></qti-equal><qti-set-outcome-value identifier=\"SCORE\"><qti-base-value base-type=\"float\">1</qti-base-value></qti-set-outcome-value></qti-response-if></qti-response-condition></qti-response-processing>");
        }
        (ItemType::Matching, Answer::Pairs(pairs)) => {
            let mut rights: Vec<&str> = Vec::new();
            for (_, r) in pairs {
                if !rights.contains(&r.as_str()) {
                    rights.push(r);
                }
            }
            let lefts: Vec<&(String, String)> =
                pairs.iter().filter(|(l, _)| !l.is_empty()).collect();
            let correct: Vec<String> = lefts
                .iter()
                .enumerate()
                .map(|(i, (_, r))| {
                    format!(
                        "L{} R{}",
                        i + 1,
                        rights.iter().position(|x| x == r).unwrap_or(0) + 1
                    )
                })
                .collect();
            decl = format!("<qti-response-declaration identifier=\"RESPONSE\" cardinality=\"multiple\" base-type=\"directedPair\"><qti-correct-response>{}</qti-correct-response></qti-response-declaration>", value_list(&correct));
            let left: String = lefts.iter().enumerate().map(|(i, (l, _))| format!("<qti-simple-associable-choice identifier=\"L{}\" match-max=\"1\">{}</qti-simple-associable-choice>", i + 1, x(l))).collect();
            let right: String = rights.iter().enumerate().map(|(i, r)| format!("<qti-simple-associable-choice identifier=\"R{}\" match-max=\"0\">{}</qti-simple-associable-choice>", i + 1, x(r))).collect();
            body = format!("<qti-match-interaction response-identifier=\"RESPONSE\" max-associations=\"0\">{prompt}<qti-simple-match-set>{left}</qti-simple-match-set><qti-simple-match-set>{right}</qti-simple-match-set></qti-match-interaction>");
        }
        (t, _) => {
            let class = match t {
                ItemType::Practical => " class=\"skillcert-practical\"",
                ItemType::ShortAnswer => " class=\"skillcert-short-answer\"",
                _ => "",
            };
            decl = "<qti-response-declaration identifier=\"RESPONSE\" cardinality=\"single\" base-type=\"string\"/>".into();
            let mut scorer = String::new();
            if let Some(r) = &c.reference {
                scorer.push_str(&format!("<div class=\"skillcert-reference\">{r}</div>"));
            }
            for e in &c.rubric {
                scorer.push_str(&format!(
                    "<p data-points=\"{}\" data-veto=\"{}\">{}</p>",
                    e.points,
                    e.veto,
                    x(&e.element)
                ));
            }
            let rubric = if scorer.is_empty() {
                String::new()
            } else {
                format!("<qti-rubric-block use=\"scoring\" view=\"scorer\"><qti-content-body>{scorer}</qti-content-body></qti-rubric-block>")
            };
            body = format!("{rubric}<qti-extended-text-interaction{class} response-identifier=\"RESPONSE\">{prompt}</qti-extended-text-interaction>");
            processing = String::new();
        }
    }
    let point_attr = point
        .map(|p| format!(" data-skillcert-point=\"{}\"", x(p)))
        .unwrap_or_default();
    let explanation = c
        .explanation
        .as_ref()
        .map(|e| format!("<qti-modal-feedback outcome-identifier=\"FEEDBACK\" identifier=\"EXPLANATION\" show-hide=\"show\"><qti-content-body>{e}</qti-content-body></qti-modal-feedback>"))
        .unwrap_or_default();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<qti-assessment-item xmlns=\"http://www.imsglobal.org/xsd/imsqtiasi_v3p0\" identifier=\"{id}\" title=\"{id}\" adaptive=\"false\" time-dependent=\"false\">\n{decl}\n<qti-outcome-declaration identifier=\"SCORE\" cardinality=\"single\" base-type=\"float\"/>\n<qti-outcome-declaration identifier=\"MAXSCORE\" cardinality=\"single\" base-type=\"float\"><qti-default-value><qti-value>{}</qti-value></qti-default-value></qti-outcome-declaration>\n<qti-outcome-declaration identifier=\"DIFFICULTY\" cardinality=\"single\" base-type=\"integer\"><qti-default-value><qti-value>{}</qti-value></qti-default-value></qti-outcome-declaration>\n<qti-outcome-declaration identifier=\"FEEDBACK\" cardinality=\"single\" base-type=\"identifier\"/>\n<qti-item-body{point_attr}>{body}</qti-item-body>\n{processing}\n{explanation}\n</qti-assessment-item>\n",
        c.score, c.difficulty, id = x(id)
    )
}

/// A QTI 3.0 content package (zip) of the given items: `(identifier, point, content)`.
pub fn write_package(items: &[(String, Option<String>, ItemContent)]) -> std::io::Result<Vec<u8>> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let mut resources = String::new();
        for (id, point, content) in items {
            let path = format!("items/{id}.xml");
            zip.start_file(&path, opts).map_err(std::io::Error::other)?;
            zip.write_all(write_item(id, point.as_deref(), content).as_bytes())?;
            resources.push_str(&format!(
                "<resource identifier=\"R-{id}\" type=\"imsqti_item_xmlv3p0\" href=\"{path}\"><file href=\"{path}\"/></resource>\n",
                id = x(id),
                path = x(&path)
            ));
        }
        zip.start_file("imsmanifest.xml", opts)
            .map_err(std::io::Error::other)?;
        zip.write_all(
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest xmlns=\"http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1\" identifier=\"skillcert-export\">\n<metadata><schema>QTI Package</schema><schemaversion>3.0.0</schemaversion></metadata>\n<organizations/>\n<resources>\n{resources}</resources>\n</manifest>\n").as_bytes(),
        )?;
        zip.finish().map_err(std::io::Error::other)?;
    }
    Ok(buf.into_inner())
}
