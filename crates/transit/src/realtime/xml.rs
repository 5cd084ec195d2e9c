//! A small element tree read with quick-xml: enough for the XML feeds DKLIK takes, with local
//! names (namespace prefixes dropped) and limits on depth and size.

use super::DecodeError;
use quick_xml::events::Event;

#[derive(Debug, Default, Clone)]
pub struct El {
    pub name: String,
    pub text: String,
    pub children: Vec<El>,
}

impl El {
    pub fn child(&self, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.name == name)
    }
    /// The text at a path of child names.
    pub fn text_at(&self, path: &[&str]) -> Option<&str> {
        let mut e = self;
        for p in path {
            e = e.child(p)?;
        }
        let t = e.text.trim();
        (!t.is_empty()).then_some(t)
    }
    /// Every descendant (and self) with this name.
    #[cfg(test)]
    pub fn find_all<'a>(&'a self, name: &str, out: &mut Vec<&'a El>) {
        if self.name == name {
            out.push(self);
        }
        for c in &self.children {
            c.find_all(name, out);
        }
    }
}

const MAX_DEPTH: usize = 64;

pub fn parse(xml: &[u8]) -> Result<El, DecodeError> {
    let text =
        std::str::from_utf8(xml).map_err(|_| DecodeError("XML qui n'est pas en UTF-8".into()))?;
    let mut r = quick_xml::Reader::from_str(text);
    r.config_mut().trim_text(true);
    let mut stack: Vec<El> = vec![El::default()];
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) => {
                if stack.len() > MAX_DEPTH {
                    return Err(DecodeError("XML trop profond".into()));
                }
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_string();
                stack.push(El {
                    name,
                    ..Default::default()
                });
            }
            Ok(Event::Empty(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_string();
                if let Some(top) = stack.last_mut() {
                    top.children.push(El {
                        name,
                        ..Default::default()
                    });
                }
            }
            Ok(Event::Text(t)) => {
                let s = t
                    .unescape()
                    .map_err(|e| DecodeError(format!("XML illisible : {e}")))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&s);
                }
            }
            Ok(Event::CData(t)) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Ok(Event::End(_)) => {
                let done = stack
                    .pop()
                    .ok_or_else(|| DecodeError("XML mal formé".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => {
                        return Err(DecodeError(
                            "XML mal formé : balise fermante en trop".into(),
                        ))
                    }
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(DecodeError(format!(
                    "XML illisible à la position {} : {e}",
                    r.buffer_position()
                )))
            }
        }
    }
    if stack.len() != 1 {
        return Err(DecodeError(
            "XML incomplet : des balises ne sont pas fermées".into(),
        ));
    }
    let mut doc = stack.pop().unwrap_or_default();
    if !doc.text.trim().is_empty() {
        return Err(DecodeError(
            "XML mal formé : du texte hors de l'élément racine".into(),
        ));
    }
    if doc.children.len() > 1 {
        return Err(DecodeError(
            "XML mal formé : plusieurs éléments racines".into(),
        ));
    }
    doc.children
        .pop()
        .ok_or_else(|| DecodeError("XML vide".into()))
}
