//! What the XML sources share: a streaming reader that tracks element names and collects the
//! text of the fields a source asks for.

use super::ImportError;
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use std::io::BufRead;

pub struct XmlStream<R: BufRead> {
    reader: Reader<R>,
    buf: Vec<u8>,
    /// Names of the open elements, outermost first (with namespace prefixes, e.g. `wp:comment`).
    pub path: Vec<String>,
    /// The close that an empty element (`<parent dsq:id="1"/>`) owes.
    pending_close: Option<String>,
}

/// One step of the stream.
pub enum Step {
    Open {
        name: String,
        attrs: Vec<(String, String)>,
    },
    Text(String),
    Close {
        name: String,
    },
    End,
}

impl<R: BufRead> XmlStream<R> {
    pub fn new(input: R) -> Self {
        let mut reader = Reader::from_reader(input);
        reader.config_mut().trim_text(false);
        Self {
            reader,
            buf: Vec::with_capacity(8 * 1024),
            path: Vec::new(),
            pending_close: None,
        }
    }

    pub fn offset(&self) -> u64 {
        self.reader.buffer_position()
    }

    fn malformed(&self, what: impl std::fmt::Display) -> ImportError {
        ImportError::malformed(Some(self.reader.error_position()), what.to_string())
    }

    pub fn next(&mut self) -> Result<Step, ImportError> {
        if let Some(name) = self.pending_close.take() {
            self.path.pop();
            return Ok(Step::Close { name });
        }
        loop {
            self.buf.clear();
            let event = self.reader.read_event_into(&mut self.buf).map_err(|e| {
                ImportError::malformed(
                    Some(self.reader.error_position()),
                    format!("invalid XML: {e}"),
                )
            })?;
            return Ok(match event {
                Event::Start(e) => {
                    let (name, attrs) = element(&e);
                    self.path.push(name.clone());
                    Step::Open { name, attrs }
                }
                Event::Empty(e) => {
                    // `<parent dsq:id="1"/>`: an open and a close at once. Reported as an open
                    // whose close follows immediately.
                    let (name, attrs) = element(&e);
                    self.path.push(name.clone());
                    self.pending_close = Some(name.clone());
                    Step::Open { name, attrs }
                }
                Event::End(e) => {
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    match self.path.pop() {
                        Some(open) if open == name => Step::Close { name },
                        Some(open) => {
                            return Err(self.malformed(format!("</{name}> closes <{open}>")));
                        }
                        None => return Err(self.malformed(format!("unexpected </{name}>"))),
                    }
                }
                Event::Text(t) => match t.decode() {
                    Ok(text) => Step::Text(text.into_owned()),
                    Err(e) => return Err(self.malformed(format!("bad text: {e}"))),
                },
                // `&amp;`, `&#233;`: a reference is an event of its own, its text follows.
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => Some(c.to_string()),
                        Ok(None) => r.decode().ok().and_then(|name| {
                            quick_xml::escape::resolve_predefined_entity(&name).map(str::to_owned)
                        }),
                        Err(_) => None,
                    };
                    match resolved {
                        Some(text) => Step::Text(text),
                        None => {
                            let name = String::from_utf8_lossy(&r).into_owned();
                            return Err(
                                self.malformed(format!("bad text: unknown entity &{name};"))
                            );
                        }
                    }
                }
                Event::CData(c) => {
                    Step::Text(String::from_utf8_lossy(&c.into_inner()).into_owned())
                }
                Event::Eof => {
                    if let Some(open) = self.path.last() {
                        return Err(self
                            .malformed(format!("the file ends inside <{open}>: it is truncated")));
                    }
                    Step::End
                }
                _ => continue,
            });
        }
    }
}

/// An element's name (with its namespace prefix) and attributes (entities decoded).
fn element(e: &quick_xml::events::BytesStart<'_>) -> (String, Vec<(String, String)>) {
    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    let attrs = e
        .attributes()
        .filter_map(Result::ok)
        .map(|a| {
            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned());
            (key, value)
        })
        .collect();
    (name, attrs)
}
