use kyc_core::{evidence::Evidence, Error};

#[test]
fn parses_names_and_bits() -> Result<(), Error> {
    let evidence: Evidence = "document, face".parse()?;
    assert_eq!(evidence, Evidence::DOCUMENT | Evidence::FACE);
    assert_eq!(evidence.bits(), 3);
    assert_eq!(evidence.names(), ["document", "face"]);
    assert_eq!(
        Evidence::from_bits(63)?.names(),
        ["document", "face", "address", "phone", "email", "in_person"]
    );
    assert_eq!("in_person".parse::<Evidence>()?.bits(), 32);
    assert!(Evidence::from_bits(0)?.is_empty());
    assert!(evidence.contains(Evidence::FACE));
    assert!(!evidence.contains(Evidence::FACE | Evidence::EMAIL));
    Ok(())
}

#[test]
fn refuses_unknown_bits_and_names() {
    assert!(matches!(
        Evidence::from_bits(64),
        Err(Error::UnknownEvidenceBits(64))
    ));
    assert!(
        matches!("document,selfie".parse::<Evidence>(), Err(Error::UnknownEvidence(name)) if name == "selfie")
    );
    assert!(matches!(
        "".parse::<Evidence>(),
        Err(Error::UnknownEvidence(_))
    ));
    assert!(matches!(
        "face,face".parse::<Evidence>(),
        Err(Error::DuplicateEvidence(_))
    ));
}

#[test]
fn serializes_as_a_list_of_names() -> Result<(), serde_json::Error> {
    let evidence = Evidence::EMAIL | Evidence::DOCUMENT;
    let json = serde_json::to_string(&evidence)?;
    assert_eq!(json, r#"["document","email"]"#);
    assert_eq!(serde_json::from_str::<Evidence>(&json)?, evidence);
    assert_eq!(serde_json::from_str::<Evidence>("[]")?, Evidence::default());
    assert!(serde_json::from_str::<Evidence>(r#"["dna"]"#).is_err());
    assert!(serde_json::from_str::<Evidence>("3").is_err());
    Ok(())
}
