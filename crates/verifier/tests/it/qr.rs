//! QR codes decode back to the registration URI they were made from.

use alloy::primitives::address;
use kyc_core::uri::RegistrationUri;
use kyc_verifier::{
    qr::{self, QrFormat},
    Session, SessionRequest,
};

use kyc_test_utils::unix_now;

use crate::fixtures::{fields, SERVICE};

fn uri() -> String {
    let request = SessionRequest {
        name: Some("Bank Example — Konto eröffnen".to_owned()),
        ..SessionRequest::new(
            SERVICE,
            fields(&["address.country", "birthdate", "family_name", "given_name"]),
        )
    };
    let session = Session::open(
        request,
        31337,
        address!("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
        unix_now(),
    )
    .unwrap();
    session.uri().to_uri_string()
}

#[test]
fn a_png_decodes_to_the_same_uri() {
    let uri = uri();
    let png = qr::render_png(&uri).unwrap();
    let image = image::load_from_memory(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, decoded) = grids[0].decode().unwrap();
    assert_eq!(decoded, uri);
    assert!(RegistrationUri::parse(&decoded).is_ok());
}

#[test]
fn svg_and_terminal_renderings_draw_a_code() {
    let uri = uri();
    let svg = String::from_utf8(qr::render(&uri, QrFormat::Svg).unwrap()).unwrap();
    assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
    let terminal = qr::render_terminal(&uri).unwrap();
    let widths: Vec<usize> = terminal.lines().map(|line| line.chars().count()).collect();
    assert!(widths.len() > 20 && widths.iter().all(|width| *width == widths[0]));
    assert!(terminal.contains('█') || terminal.contains('▀'));
}

#[test]
fn formats_parse_by_name() {
    for format in [QrFormat::Terminal, QrFormat::Svg, QrFormat::Png] {
        assert_eq!(format.to_string().parse::<QrFormat>(), Ok(format));
    }
    assert!("jpeg".parse::<QrFormat>().unwrap_err().contains("jpeg"));
}

#[test]
fn text_too_long_for_a_qr_code_is_an_error() {
    let error = qr::render_png(&"x".repeat(5000)).unwrap_err();
    assert!(error.to_string().contains("qr"), "{error}");
}
