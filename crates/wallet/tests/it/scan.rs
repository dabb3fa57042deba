//! Registration codes: from a URI or a QR image, the codes a wallet refuses, and
//! whether it can answer the others.

use std::io::Cursor;

use alloy::primitives::Address;
use image::{DynamicImage, ImageFormat, Luma};
use kyc_wallet::{
    scan::{credentials_for, decode_qr_image, missing_fields, read_code, read_qr_image, scan},
    Error,
};
use qrcode::QrCode;

use crate::fixtures::{unix_now, Setup};

fn qr_image(text: &str, format: ImageFormat) -> Vec<u8> {
    let code = QrCode::new(text.as_bytes()).unwrap();
    let image = code.render::<Luma<u8>>().min_dimensions(400, 400).build();
    let mut bytes = Cursor::new(Vec::new());
    DynamicImage::ImageLuma8(image)
        .write_to(&mut bytes, format)
        .unwrap();
    bytes.into_inner()
}

#[tokio::test]
async fn a_qr_png_and_jpeg_decode_to_the_code_they_show() {
    let setup = Setup::start().await;
    let credential = setup.credential().await;
    let code = setup.code(
        "https://shop.example",
        &["birthdate", "nationality", "passport_no"],
    );
    let uri = code.to_uri_string();
    for format in [ImageFormat::Png, ImageFormat::Jpeg] {
        let text = decode_qr_image(&qr_image(&uri, format)).unwrap();
        assert_eq!(text, uri);
        assert_eq!(read_code(&text, unix_now()).unwrap(), code);
    }
    let credentials = setup.wallet.credentials().unwrap();
    let matching = credentials_for(&code, &credentials, Some(credential.subject)).unwrap();
    assert_eq!(matching, vec![&credential]);
    assert_eq!(missing_fields(&code, &credential), ["passport_no"]);
    let scanned = scan(&code, &credentials);
    assert_eq!(scanned.credentials[0].missing_fields, ["passport_no"]);
    assert_eq!(scanned.unavailable_fields, ["passport_no"]);
    assert!(!scanned.can_answer);
    let answerable = scan(
        &setup.code("https://shop.example", &["birthdate"]),
        &credentials,
    );
    assert!(answerable.can_answer);
    assert!(answerable.unavailable_fields.is_empty());
}

/// A code `kyc service` drew that the decoder misreads as drawn, and reads once softened.
#[test]
fn a_code_misread_as_drawn_is_read_once_its_edges_are_softened() {
    let png = include_bytes!("../fixtures/misread-as-drawn.png");
    let image = image::load_from_memory(png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    assert!(
        prepared.detect_grids()[0].decode().is_err(),
        "read as drawn"
    );
    let text = decode_qr_image(png).unwrap();
    assert_eq!(
        text,
        "kycanchor://register?v=1&rid=0x0956e216700821bff402d9536f5ba0272d47045783fcf1fcc34a\
         7385d8ee8804&svc=http%3A%2F%2F127.0.0.1%3A51815&name=127.0.0.1&chain=31337&reg=0x5\
         FbDB2315678afecb367f032d93F642f64180aa3&f=given_name&exp=1796957123"
    );
}

#[test]
fn images_without_one_readable_code_are_refused() {
    let blank = {
        let mut bytes = Cursor::new(Vec::new());
        DynamicImage::ImageLuma8(image::GrayImage::from_pixel(200, 200, Luma([255])))
            .write_to(&mut bytes, ImageFormat::Png)
            .unwrap();
        bytes.into_inner()
    };
    assert!(matches!(decode_qr_image(&blank), Err(Error::NoQrCode(_))));
    assert!(matches!(
        decode_qr_image(b"not an image"),
        Err(Error::Image(_))
    ));
    // A huge image is refused before it is decoded.
    let huge = {
        let mut bytes = Cursor::new(Vec::new());
        DynamicImage::ImageLuma8(image::GrayImage::new(9000, 1))
            .write_to(&mut bytes, ImageFormat::Png)
            .unwrap();
        bytes.into_inner()
    };
    assert!(matches!(decode_qr_image(&huge), Err(Error::Image(_))));
    // A file that cannot be read is named in the error.
    let missing = std::env::temp_dir().join("kyc-wallet-no-such-image.png");
    let error = read_qr_image(&missing).unwrap_err();
    assert!(matches!(error, Error::Io { .. }), "{error}");
    assert!(error.to_string().starts_with("cannot read "), "{error}");
}

#[tokio::test]
async fn expired_malformed_and_foreign_codes_are_refused() {
    let setup = Setup::start().await;
    let credential = setup.credential().await;
    let credentials = setup.wallet.credentials().unwrap();
    let now = unix_now();

    let mut expired = setup.code("https://shop.example", &["birthdate"]);
    expired.expires_at = now - 1;
    let err = read_code(&expired.to_uri_string(), now).unwrap_err();
    assert!(matches!(err, Error::CodeExpired { .. }), "{err}");

    let mut elsewhere = setup.code("https://shop.example", &["birthdate"]);
    elsewhere.callback = "https://collector.example/v1/sessions/rid/submission".to_owned();
    let err = read_code(&elsewhere.to_uri_string(), now).unwrap_err();
    assert!(err.to_string().contains("cb"), "{err}");
    // A look-alike host is another origin too.
    elsewhere.callback = "https://shop.example.evil.example/submission".to_owned();
    assert!(read_code(&elsewhere.to_uri_string(), now).is_err());

    for malformed in [
        "https://shop.example/register?v=1",
        "kycanchor://register?v=2",
        &setup
            .code("https://shop.example", &["birthdate"])
            .to_uri_string()
            .replace("&exp=", "&exp=x"),
    ] {
        assert!(read_code(malformed, now).is_err(), "{malformed}");
    }

    let mut other_chain = setup.code("https://shop.example", &["birthdate"]);
    other_chain.chain_id += 1;
    let code = read_code(&other_chain.to_uri_string(), now).unwrap();
    let err = credentials_for(&code, &credentials, Some(credential.subject)).unwrap_err();
    assert!(matches!(err, Error::NoCredentialFor { .. }), "{err}");
    assert!(
        err.to_string().contains(&credential.registry.to_string()),
        "{err}"
    );
    // Scanning still describes it, and says the wallet cannot answer it.
    let scanned = scan(&code, &credentials);
    assert_eq!(scanned.code.check_code, code.check_code());
    assert!(scanned.credentials.is_empty());
    assert!(!scanned.can_answer);
    assert_eq!(scanned.unavailable_fields, ["birthdate"]);

    let mut other_registry = setup.code("https://shop.example", &["birthdate"]);
    other_registry.registry = Address::repeat_byte(0x99);
    let err = credentials_for(&other_registry, &credentials, None).unwrap_err();
    assert!(matches!(err, Error::NoCredentialFor { .. }), "{err}");

    // Someone else's credential in the folder does not answer for this key.
    let code = setup.code("https://shop.example", &["birthdate"]);
    let err = credentials_for(&code, &credentials, Some(Address::repeat_byte(1))).unwrap_err();
    assert!(matches!(err, Error::NoCredentialFor { .. }), "{err}");
}

/// A typical session's code, with and without the default callback written out: leaving
/// it out makes a smaller QR code (`--nocapture` prints the versions).
#[test]
fn leaving_out_the_default_callback_makes_a_smaller_qr_code() {
    let registration_id = "0xd2a0ad6d7544743db213816a907d9dce4e0af25fee809bc2262870f343f504fc"
        .parse()
        .unwrap();
    let service = "https://bank.example".to_owned();
    let code = kyc_core::uri::RegistrationUri {
        callback: kyc_core::uri::default_callback(&service, registration_id),
        registration_id,
        service,
        name: "Example Bank".to_owned(),
        chain_id: 1,
        registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3"
            .parse()
            .unwrap(),
        fields: ["given_name", "family_name", "birthdate"]
            .map(String::from)
            .to_vec(),
        expires_at: 1_767_226_200,
    };
    let short = code.to_uri_string();
    let encoded_callback = code.callback.replace(':', "%3A").replace('/', "%2F");
    let long = short.replace("&chain=", &format!("&cb={encoded_callback}&chain="));
    // The wallet reads both as the same code.
    assert_eq!(read_code(&long, 0).unwrap(), read_code(&short, 0).unwrap());
    let version =
        |text: &str| match qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
            .unwrap()
            .version()
        {
            qrcode::Version::Normal(version) => version,
            qrcode::Version::Micro(_) => unreachable!("a registration code is never micro"),
        };
    let (before, after) = (version(&long), version(&short));
    println!(
        "QR version (level M): {before} with cb ({} characters), {after} without ({} characters)",
        long.len(),
        short.len()
    );
    assert!(after < before, "{after} is not smaller than {before}");
}
