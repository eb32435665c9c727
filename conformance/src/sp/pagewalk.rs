//! A bounded walk over a paged collection (API-051, API-053).
//!
//! The walk ends on its own whatever the SP answers: a `next_page_token`
//! that was already sent (the SP would send the suite round the same pages
//! forever) fails at once, and so does a walk longer than its page budget.
//! Items returned on more than one page are recorded as [`Repeat`]s for the
//! steps to judge (a repeat in a collection nobody changes breaks API-051;
//! with concurrent changes only API-053 forbids it).

use std::collections::BTreeMap;

use serde_json::Value;

/// What to do after a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Fetch the page behind this token.
    Token(String),
    /// The last page was reached (no or an empty token).
    Done,
}

/// An item that came back on a later page than the one it was first seen on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// Resource id.
    pub id: String,
    /// Page (0-based) that first held it.
    pub first_page: usize,
    /// Page (0-based) that held it again.
    pub again_on: usize,
}

/// The state of one walk: tokens sent, items seen, pages fetched.
#[derive(Debug, Clone)]
pub struct PageWalk {
    max_pages: usize,
    pages: usize,
    sent: BTreeMap<String, usize>,
    seen: BTreeMap<String, usize>,
    repeats: Vec<Repeat>,
}

impl PageWalk {
    /// A walk that fetches at most `max_pages` pages.
    #[must_use]
    pub fn new(max_pages: usize) -> Self {
        Self {
            max_pages,
            pages: 0,
            sent: BTreeMap::new(),
            seen: BTreeMap::new(),
            repeats: Vec::new(),
        }
    }

    /// Takes in one list page (`{"results": [...], "next_page_token": ...}`)
    /// and says what to fetch next.
    ///
    /// # Errors
    /// API-051: the page's token was already sent on an earlier page, or the
    /// walk used up its page budget without reaching a last page.
    pub fn page(&mut self, page: &Value) -> Result<Next, String> {
        let index = self.pages;
        self.pages += 1;
        for id in page["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["id"].as_str())
        {
            match self.seen.get(id) {
                Some(&first) if first != index => self.repeats.push(Repeat {
                    id: id.to_owned(),
                    first_page: first,
                    again_on: index,
                }),
                Some(_) => {}
                None => {
                    self.seen.insert(id.to_owned(), index);
                }
            }
        }
        let Some(token) = page["next_page_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
        else {
            return Ok(Next::Done);
        };
        if let Some(first) = self.sent.get(&token) {
            return Err(format!(
                "API-051: page {index} answered next_page_token `{token}`, which the suite already \
                 sent to get page {}: following it would repeat pages forever; the walk stopped \
                 after {} pages",
                first + 1,
                self.pages
            ));
        }
        if self.pages >= self.max_pages {
            return Err(format!(
                "API-051: the walk reached no last page within {} pages",
                self.max_pages
            ));
        }
        self.sent.insert(token.clone(), index);
        Ok(Next::Token(token))
    }

    /// Items that appeared on more than one page, in the order found.
    #[must_use]
    pub fn repeats(&self) -> &[Repeat] {
        &self.repeats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page(ids: &[&str], token: Option<&str>) -> Value {
        let results: Vec<Value> = ids.iter().map(|i| json!({"id": i})).collect();
        match token {
            Some(t) => json!({"results": results, "next_page_token": t}),
            None => json!({"results": results}),
        }
    }

    /// (pages, budget, expected outcome of the last page, repeats found)
    #[test]
    fn walks_end_and_repeats_are_recorded() {
        type Case = (
            Vec<Value>,
            usize,
            Result<Next, &'static str>,
            Vec<(&'static str, usize, usize)>,
        );
        let cases: Vec<Case> = vec![
            // A clean walk of three pages.
            (
                vec![
                    page(&["a"], Some("t1")),
                    page(&["b"], Some("t2")),
                    page(&["c"], Some("")),
                ],
                10,
                Ok(Next::Done),
                vec![],
            ),
            // The SP hands back the token it was just sent.
            (
                vec![page(&["a"], Some("t1")), page(&["a"], Some("t1"))],
                10,
                Err("already sent"),
                vec![("a", 0, 1)],
            ),
            // Pages overlap by one item across the boundary.
            (
                vec![page(&["a", "b"], Some("t1")), page(&["b", "c"], None)],
                10,
                Ok(Next::Done),
                vec![("b", 0, 1)],
            ),
            // Fresh tokens forever: the budget ends the walk.
            (
                vec![page(&["a"], Some("t1")), page(&["b"], Some("t2"))],
                2,
                Err("no last page within 2"),
                vec![],
            ),
        ];
        for (pages, budget, last, repeats) in cases {
            let mut walk = PageWalk::new(budget);
            let mut outcome = Ok(Next::Done);
            for p in &pages {
                outcome = walk.page(p);
                if outcome.is_err() {
                    break;
                }
            }
            match (&outcome, &last) {
                (Ok(got), Ok(want)) => assert_eq!(got, want),
                (Err(got), Err(want)) => assert!(got.contains(want), "{got}"),
                _ => panic!("{outcome:?} but expected {last:?}"),
            }
            let found: Vec<(&str, usize, usize)> = walk
                .repeats()
                .iter()
                .map(|r| (r.id.as_str(), r.first_page, r.again_on))
                .collect();
            assert_eq!(found, repeats);
        }
    }
}
