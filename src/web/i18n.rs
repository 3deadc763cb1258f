//! Interface language: Simplified Chinese first, English second. Every string a person
//! reads comes from `locales/*.toml` (embedded), looked up by a stable key; code never
//! carries UI text.

use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Lang {
    #[serde(rename = "zh-CN")]
    Zh,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn from_code(s: &str) -> Option<Lang> {
        match s {
            "zh-CN" | "zh" | "zh-Hans" => Some(Lang::Zh),
            "en" | "en-US" | "en-GB" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first supported language of an `Accept-Language` header, else Chinese.
    pub fn from_accept_language(header: &str) -> Lang {
        header
            .split(',')
            .filter_map(|part| part.split(';').next())
            .map(str::trim)
            .find_map(|tag| {
                if tag.starts_with("zh") {
                    Some(Lang::Zh)
                } else if tag.starts_with("en") {
                    Some(Lang::En)
                } else {
                    None
                }
            })
            .unwrap_or(Lang::Zh)
    }
}

const ZH: &str = include_str!("../../locales/zh-CN.toml");
const EN: &str = include_str!("../../locales/en.toml");

#[derive(Debug)]
pub struct I18n {
    zh: HashMap<String, String>,
    en: HashMap<String, String>,
}

impl I18n {
    pub fn load() -> Result<I18n, String> {
        Ok(I18n {
            zh: flatten(ZH).map_err(|e| format!("zh-CN: {e}"))?,
            en: flatten(EN).map_err(|e| format!("en: {e}"))?,
        })
    }

    fn table(&self, lang: Lang) -> &HashMap<String, String> {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }

    /// The message for `key`; `{detail}` in it is replaced by `detail`. A missing key
    /// shows as the key itself, which the locale tests make sure never happens.
    pub fn t(&self, lang: Lang, key: &str, detail: Option<&str>) -> String {
        let msg = self
            .table(lang)
            .get(key)
            .or_else(|| self.zh.get(key))
            .cloned()
            .unwrap_or_else(|| key.to_string());
        match detail {
            Some(d) => msg.replace("{detail}", d),
            None => msg,
        }
    }

    /// The message for `key` with its named arguments (`{point}`, `{limit}`) filled in.
    pub fn t_args(
        &self,
        lang: Lang,
        key: &str,
        args: &std::collections::BTreeMap<&str, String>,
    ) -> String {
        let mut msg = self.t(lang, key, None);
        for (name, value) in args {
            msg = msg.replace(&format!("{{{name}}}"), value);
        }
        msg
    }

    /// An import problem in the reader's language, naming the item it concerns.
    pub fn import_error(&self, lang: Lang, e: &crate::formats::ImportError) -> String {
        let msg = self.t_args(lang, e.code, &e.args);
        match e.args.get("item") {
            Some(item) => format!("{}{msg}", self.t(lang, "import.in_item", Some(item))),
            None => msg,
        }
    }

    /// A form field's name as the reader sees it: `label.<field>` for `field`, with the
    /// row for a field of a list (`candidates[2].name` → "考生名单 第 3 行"); `None` for
    /// a field without a label.
    pub fn field_label(&self, lang: Lang, field: &str) -> Option<String> {
        let base = field.split(['[', '.']).next().unwrap_or(field);
        let label = self.table(lang).get(&format!("label.{base}"))?.clone();
        let row = field
            .strip_prefix(base)
            .and_then(|r| r.strip_prefix('['))
            .and_then(|r| r.split(']').next())
            .and_then(|n| n.parse::<usize>().ok());
        Some(match row {
            Some(i) => format!(
                "{label} {}",
                self.t(lang, "form.row", Some(&(i + 1).to_string()))
            ),
            None => label,
        })
    }

    pub fn has(&self, lang: Lang, key: &str) -> bool {
        self.table(lang).contains_key(key)
    }

    pub fn keys(&self, lang: Lang) -> Vec<&str> {
        let mut k: Vec<&str> = self.table(lang).keys().map(String::as_str).collect();
        k.sort_unstable();
        k
    }
}

fn flatten(text: &str) -> Result<HashMap<String, String>, String> {
    let value: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = HashMap::new();
    fn walk(
        prefix: &str,
        t: &toml::Table,
        out: &mut HashMap<String, String>,
    ) -> Result<(), String> {
        for (k, v) in t {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                toml::Value::String(s) => {
                    out.insert(key, s.clone());
                }
                toml::Value::Table(t) => walk(&key, t, out)?,
                _ => return Err(format!("{key}: only strings and tables are allowed")),
            }
        }
        Ok(())
    }
    walk("", &value, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        let i = I18n::load().unwrap();
        assert_eq!(i.keys(Lang::Zh), i.keys(Lang::En));
    }

    #[test]
    fn every_key_a_template_names_exists() {
        let i = I18n::load().unwrap();
        for (name, src) in crate::web::render::EMBEDDED {
            for part in src.split("{{t \"").skip(1) {
                let key = part.split('"').next().unwrap();
                let rest = part[key.len() + 1..].trim_start();
                let dynamic = rest.starts_with(|c: char| c != '}') && !rest.starts_with("detail=");
                if dynamic {
                    // `{{t "prefix" value}}`: the prefix is a table of keys.
                    assert!(
                        i.keys(Lang::Zh)
                            .iter()
                            .any(|k| k.starts_with(&format!("{key}."))),
                        "{name}: no keys under {key}"
                    );
                } else {
                    assert!(
                        i.has(Lang::Zh, key) && i.has(Lang::En, key),
                        "{name}: missing key {key}"
                    );
                }
            }
        }
    }

    #[test]
    fn field_labels_name_the_field_and_its_row() {
        let i = I18n::load().unwrap();
        assert_eq!(
            i.field_label(Lang::Zh, "exam_date").as_deref(),
            Some("考试日期")
        );
        assert_eq!(
            i.field_label(Lang::Zh, "candidates[2].name").as_deref(),
            Some("考生名单 第 3 行")
        );
        assert_eq!(
            i.field_label(Lang::En, "candidates[0]").as_deref(),
            Some("Candidates row 1")
        );
        assert_eq!(i.field_label(Lang::Zh, "no_such_field"), None);
    }

    #[test]
    fn accept_language_prefers_the_first_supported_tag() {
        assert_eq!(
            Lang::from_accept_language("en-US,en;q=0.9,zh-CN;q=0.8"),
            Lang::En
        );
        assert_eq!(Lang::from_accept_language("fr-FR,zh;q=0.5"), Lang::Zh);
        assert_eq!(Lang::from_accept_language(""), Lang::Zh);
    }
}
