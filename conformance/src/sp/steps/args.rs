//! Parsing of step arguments shared by the resource steps: comma-separated
//! lists and status-code lists as written in the feature files.

pub(super) fn parse_list(list: &str) -> Vec<String> {
    list.split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

pub(super) fn parse_codes(list: &str) -> Result<Vec<u16>, String> {
    parse_list(list)
        .iter()
        .map(|s| {
            s.parse::<u16>()
                .map_err(|_| format!("`{s}` is not a status code"))
        })
        .collect()
}
