//! Cells of the CSV files DKLIK writes (exports for evaluators, employers' reports): quoted by
//! RFC 4180, and never read as a formula by a spreadsheet.

/// Starts a spreadsheet reads as a formula (or as a hidden control) at the head of a cell.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell made safe: a cell that a spreadsheet would run as a formula (`=`, `+`, `-`,
/// `@`, tab, carriage return first) gets a leading `'`, which spreadsheets show as text;
/// plain numbers (`-3`, `-0.5`) stay numbers. Then quoted when it holds the separator, a
/// quote or a line break.
pub fn cell(s: &str, sep: char) -> String {
    let neutral = match s.chars().next() {
        Some(c) if FORMULA_STARTS.contains(&c) && !is_number(s) => format!("'{s}"),
        _ => s.to_string(),
    };
    if neutral.contains([sep, '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

fn is_number(s: &str) -> bool {
    s.replace(',', ".").parse::<f64>().is_ok_and(f64::is_finite)
}

/// One line of cells joined by `sep`, without its line break.
pub fn line<S: AsRef<str>>(fields: &[S], sep: char) -> String {
    fields
        .iter()
        .map(|f| cell(f.as_ref(), sep))
        .collect::<Vec<_>>()
        .join(&sep.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_numbers_stay_numbers() {
        assert_eq!(cell("=HYPERLINK(\"x\")", ','), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+33 6 12", ';'), "'+33 6 12");
        assert_eq!(cell("-cmd|' /C calc'!A0", ';'), "'-cmd|' /C calc'!A0");
        assert_eq!(cell("@SUM(A1)", ';'), "'@SUM(A1)");
        assert_eq!(cell("\t=1", ';'), "'\t=1");
        assert_eq!(cell("\r=1", ';'), "\"'\r=1\"");
        assert_eq!(cell("-3", ';'), "-3");
        assert_eq!(cell("-0,5", ';'), "-0,5");
        assert_eq!(cell("Gare", ';'), "Gare");
        assert_eq!(cell("a;b", ';'), "\"a;b\"");
        assert_eq!(line(&["a", "b,c", "d\"e"], ','), "a,\"b,c\",\"d\"\"e\"");
    }
}
