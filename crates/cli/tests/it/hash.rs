//! `kyc hash`: roots of the shared vectors, and one-line refusals that leak no personal data.

use crate::util::{assert_output, kyc, stderr, stdout};

const CLAIMS: &str = r#"[
  {"key":"birthdate","value":"1990-01-31","salt":"0xb10f2e39d065cb1bf439f683eb8e8989"},
  {"key":"family_name","value":"Yamada","salt":"0xf7afb049a23e299b09d8c933e27356ac"},
  {"key":"given_name","value":"Taro","salt":"0xe941d0a015b9fab44fa33bae5d539c38"}
]"#;
const ROOT: &str = "0x1446fcb2401f3f048892b6ffef2cd37dcbcf53a155fb2577779ae5115ee76910";

fn hash_file(contents: &str, extra: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("claims.json");
    std::fs::write(&path, contents).unwrap();
    kyc().arg("hash").args(extra).arg(&path).output().unwrap()
}

#[test]
fn prints_the_root_of_a_claim_list() {
    let output = hash_file(CLAIMS, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).trim(), ROOT);
}

#[test]
fn json_output_names_the_kind() {
    let output = hash_file(CLAIMS, &["--json"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(value["kind"], "claims");
    assert_eq!(value["root"], ROOT);
    assert_output(
        &stdout(&output),
        &format!(r#"{{"kind":"claims","root":"{ROOT}"}}"#),
    );
}

#[test]
fn refuses_a_non_canonical_claim_without_repeating_it() {
    let claims = CLAIMS.replace("Yamada", " Yamada");
    let output = hash_file(&claims, &[]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains("family_name"), "{message}");
    assert!(!message.contains("Yamada"), "{message}");
    assert_output(
        &message,
        "error: [..]/claims.json is not valid: claim family_name: value is not in canonical form (normalise before salting)",
    );
}

#[test]
fn refuses_unknown_fields_and_missing_files() {
    let output = hash_file(r#"{"version":1,"surprise":true}"#, &[]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("surprise"));
    assert_output(
        &stderr(&output),
        "error: [..]/claims.json is not valid: invalid json: surprise: unknown field `surprise`, expected one of `version`, [..] at line 1 column [..]",
    );

    let output = kyc()
        .args(["hash", "/nonexistent/claims.json"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(stderr(&output).starts_with("error: cannot read"));
    assert_output(
        &stderr(&output),
        "error: cannot read /nonexistent/claims.json: No such file or directory (os error 2)",
    );
}

#[test]
fn a_usage_mistake_is_one_line_with_exit_code_2() {
    let output = kyc().args(["hash", "--bogus"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_output(&stdout(&output), "");
    assert_output(
        &stderr(&output),
        "error: unexpected argument '--bogus' found tip: to pass '--bogus' as a value, use '-- --bogus' (see --help)",
    );
}
